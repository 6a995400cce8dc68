"""`RotaryDecoderModel`: the base model of the Llama layout, shared by Llama, Mistral, Qwen2, ...

`embed_tokens` -> `layers` (the plugin's `layer_class`) -> final `norm` (RMSNorm with float32
statistics), positions entering as rotary `(cos, sin)` tables (`rotary_emb`) that the
attention's `rotate` hook applies, on the module path and in the one-token decode plan alike.
A plugin's base model names its layer class and, where it differs, its attention window:

```python
class MistralModel(RotaryDecoderModel, MistralPreTrainedModel):
    layer_class = MistralDecoderLayer

    def attention_window(self) -> int | None:
        return self.config.sliding_window
```
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.blocks.decoder import DecoderLayer, UpcastRMSNorm
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.rotary import RotaryEmbedding


@trusted_forward
class RotaryDecoderModel(DecoderModel):
    """Token embeddings, `layers`, final RMSNorm `norm`, RoPE (`rotary_emb`)."""

    layer_class: ClassVar[type[DecoderLayer]]
    token_embedding_attribute = "embed_tokens"  # positions enter through the rotation
    embedding_dropout_attribute = None
    context_field = None  # rotary positions extrapolate: the reference bounds nothing here

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, self.padding_idx)
        self.layers = nn.ModuleList(
            self.layer_class(config, layer_idx=i) for i in range(config.num_hidden_layers)
        )
        self.norm = UpcastRMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(config)
        self.rotary_emb.round_on_dtype_moves = True  # the reference's `inv_freq` is a buffer
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.embed_tokens = embeddings

    def layer_positions(
        self, position_ids: torch.Tensor | None, past_length: int, length: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The rotary `(cos, sin)` of the positions (`past_length ...` when not given)."""
        weight = self.embed_tokens.weight
        if position_ids is None:
            position_ids = torch.arange(
                past_length, past_length + length, device=weight.device
            ).unsqueeze(0)
        return self.rotary_emb(position_ids, weight.dtype)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.LongTensor | None = None,
    ) -> Any:
        return self.decoder_forward(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )
