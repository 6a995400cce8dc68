"""The pieces of a BERT-family base model around the encoder: embeddings, pooler, forward.

`EncoderEmbeddings` (word + position + token type, layer norm, dropout; `word_embeddings` ...
`LayerNorm` as in the checkpoints), `Pooler` (tanh(dense(first token))) and `EncoderModel`, the
base model's `forward`: embeddings -> one attention bias -> encoder -> pooler, with KV cache
when `config.is_decoder`, head masks, output flags and `return_dict`. A plugin's base model is

```python
class BertModel(EncoderModel, BertPreTrainedModel):
    embeddings_class = BertEmbeddings
    encoder_class = BertEncoder
    pooler_class = BertPooler
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPoolingAndPast, ModelOutput
from tfx_core.modeling.torch.blocks.encoder import cross_attention_inputs
from tfx_core.modeling.torch.blocks.lean_model import lean_outputs
from tfx_core.modeling.torch.cache import Cache, DynamicCache, EncoderDecoderCache
from tfx_core.modeling.torch.dropout import Dropout
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.masks import attention_bias, layer_head_masks


def sinusoidal_positions(positions: int, dim: int) -> torch.Tensor:
    """The fixed position table of "Attention Is All You Need": sin on even, cos on odd columns
    (DistilBERT's `sinusoidal_pos_embds`), `[positions, dim]` float32."""
    position = torch.arange(positions, dtype=torch.float64)[:, None]
    exponent = 2 * (torch.arange(dim) // 2) / dim
    angles = position / torch.pow(10000.0, exponent.to(torch.float64))
    table = torch.empty(positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table.float()


@trusted_forward
class EncoderEmbeddings(nn.Module):
    """Word + position + token-type embeddings, then layer norm and dropout.

    With `padding_offset_positions` (RoBERTa, XLM-R, CamemBERT: fairseq's numbering) positions
    count from `pad_token_id + 1` over non-padding tokens and padding gets `pad_token_id`;
    subclasses may override `position_embeds` for other schemes. The width is
    `config.embedding_size` when the config has one (ELECTRA, ALBERT: factorized embeddings
    projected to `hidden_size` by the model), else `hidden_size`. With `normalized = False`
    (Megatron-BERT, whose layers normalize their inputs) there is no `LayerNorm`. With
    `token_types = False` (DistilBERT) there are no token-type embeddings. The dropout comes
    from the config field `dropout_field`; the norm's epsilon from `layer_norm_eps`, else
    `default_layer_norm_eps` (for configs without that field).
    """

    normalized: ClassVar[bool] = True
    token_types: ClassVar[bool] = True
    dropout_field: ClassVar[str] = "hidden_dropout_prob"
    default_layer_norm_eps: ClassVar[float] = 1e-12

    def __init__(self, config: Any) -> None:
        super().__init__()
        hidden = getattr(config, "embedding_size", None) or config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(
            config.max_position_embeddings, hidden, padding_idx=self.position_padding_idx(config)
        )
        if self.token_types:
            self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        if self.normalized:
            eps = getattr(config, "layer_norm_eps", self.default_layer_norm_eps)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
        self.dropout = Dropout(getattr(config, self.dropout_field))
        self.absolute = getattr(config, "position_embedding_type", "absolute") == "absolute"
        self.max_positions = config.max_position_embeddings
        # Not saved (like the reference); old checkpoints that carry it are reported as ignored.
        self.register_buffer(
            "position_ids", torch.arange(config.max_position_embeddings)[None], persistent=False
        )

    padding_offset_positions: ClassVar[bool] = False

    def position_padding_idx(self, config: Any) -> int | None:
        self.padding_idx = config.pad_token_id
        return config.pad_token_id if self.padding_offset_positions else None

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        return self.embed(
            self._modules, input_ids, token_type_ids, position_ids, inputs_embeds, past_length
        )

    def embed(
        self,
        parts: Mapping[str, Any],
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        """`forward`'s math over `parts`: the submodules by name (`forward`), or a lean plan's
        stand-ins for them (same names, called alike, with the same `.weight`)."""
        if inputs_embeds is None:
            inputs_embeds = parts["word_embeddings"](input_ids)
        embeddings = inputs_embeds
        if self.token_types:
            token_type_embeddings = parts["token_type_embeddings"]
            if token_type_ids is None:  # all type 0: add the row, no lookup
                embeddings = embeddings + token_type_embeddings.weight[0]
            else:
                embeddings = embeddings + token_type_embeddings(token_type_ids)
        if self.absolute:
            args = (input_ids, position_ids, inputs_embeds, past_length)
            embeddings = embeddings + (
                self.position_embeds(*args)  # (an override may not take `parts`)
                if parts is self._modules
                else self.position_embeds(*args, parts)
            )
        if self.normalized:
            embeddings = parts["LayerNorm"](embeddings)
        return parts["dropout"](embeddings) if self.training else embeddings

    def position_embeds(
        self,
        input_ids: torch.Tensor | None,
        position_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor,
        past_length: int,
        parts: Mapping[str, Any] | None = None,
    ) -> torch.Tensor:
        """Position embeddings: positions `past_length ...` unless `position_ids` are given
        (`parts`: see `embed`; None: the submodules)."""
        table = (self._modules if parts is None else parts)["position_embeddings"]
        if position_ids is not None:
            return table(position_ids)
        length = inputs_embeds.shape[1]
        if not self.padding_offset_positions:
            self.check_length(past_length + length)
            return table.weight[past_length : past_length + length]
        start = self.padding_idx + 1 + past_length
        self.check_length(start + length)
        if input_ids is not None:  # count real tokens only; padding sits at padding_idx
            not_pad = input_ids.ne(self.padding_idx)
            position_ids = torch.cumsum(not_pad, dim=1)  # int64, a fresh tensor
            if past_length:
                position_ids.add_(past_length)
            position_ids = position_ids.mul_(not_pad).add_(self.padding_idx)
        else:  # embeddings give no padding to skip
            position_ids = torch.arange(start, start + length, device=inputs_embeds.device)[None]
        return table(position_ids)

    def check_length(self, needed: int) -> None:
        if needed > self.max_positions:
            raise ConfigError(
                f"The input has {needed} positions but this model handles at most "
                f"{self.max_positions} (max_position_embeddings): truncate it "
                "(e.g. tokenizer(..., truncation=True))."
            )


@trusted_forward
class Pooler(nn.Module):
    """tanh(dense(first token)): the sentence summary that classifiers read."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = nn.Tanh()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.pool(self._modules, hidden_states)

    def pool(self, parts: Mapping[str, Any], hidden_states: torch.Tensor) -> torch.Tensor:
        """`forward`'s math over `parts` (the submodules, or a lean plan's stand-ins)."""
        return parts["activation"](parts["dense"](hidden_states[:, 0]))


@trusted_forward
class EncoderModel:
    """A BERT-family base model (mixed in before the plugin's `PreTrainedModel` subclass).

    The encoder stack is built at `encoder_attribute` ("encoder"; DistilBERT's "transformer"),
    and the forward returns `base_output_class` (the reference's output for that model). Heads
    call `lean_base` first: at inference, plain inputs run as one lean plan
    (`blocks.lean_model`).
    """

    embeddings_class: ClassVar[type[nn.Module]] = EncoderEmbeddings
    encoder_class: ClassVar[type[nn.Module]]
    encoder_attribute: ClassVar[str] = "encoder"
    base_output_class: ClassVar[type[ModelOutput]] = BaseModelOutputWithPoolingAndPast
    pooler_class: ClassVar[type[nn.Module] | None] = Pooler
    supports_cross_attention: ClassVar[bool] = False
    #: Factorized embeddings: `embeddings_project` maps `embedding_size` to `hidden_size` when
    #: they differ (ELECTRA's name for that layer).
    project_embeddings: ClassVar[bool] = False

    def __init__(self, config: Any, add_pooling_layer: bool = True) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        if getattr(config, "add_cross_attention", False) and not self.supports_cross_attention:
            raise ConfigError(
                f"{type(config).__name__} field 'add_cross_attention' is true: "
                f"{type(self).__name__} as the decoder of an encoder-decoder model is not supported."
            )
        self.embeddings = self.embeddings_class(config)
        width = getattr(config, "embedding_size", None) or config.hidden_size
        if self.project_embeddings and width != config.hidden_size:
            self.embeddings_project = nn.Linear(width, config.hidden_size)
        setattr(self, self.encoder_attribute, self.encoder_class(config))
        use_pooler = add_pooling_layer and self.pooler_class is not None
        self.pooler = self.pooler_class(config) if use_pooler else None
        self.post_init()

    def lean_base(
        self, args: tuple, kwargs: dict[str, Any], checked: bool = False
    ) -> ModelOutput | None:
        """`self(*args, **kwargs, return_dict=True)` run lean, or None: call the modules."""
        return lean_outputs(self, args, kwargs, checked)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        *,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        config = self.config
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        is_decoder = bool(config.is_decoder)
        use_cache = is_decoder and bool(config.use_cache if use_cache is None else use_cache)
        if use_cache and past_key_values is None:
            with_cross = getattr(config, "add_cross_attention", False)
            past_key_values = EncoderDecoderCache() if with_cross else DynamicCache()
        past = past_key_values.get_seq_length() if past_key_values is not None else 0
        cache = past_key_values if use_cache else None

        modules = self._modules  # (attribute access to submodules costs a Python call)
        hidden = modules["embeddings"](input_ids, token_type_ids, position_ids, inputs_embeds, past)
        project = modules.get("embeddings_project")
        if project is not None:
            hidden = project(hidden)
        bias, is_causal = attention_bias(
            attention_mask,
            query_length=hidden.shape[1],
            past_length=past,
            causal=is_decoder,
            dtype=hidden.dtype,
            device=hidden.device,
        )
        if head_mask is not None:
            head_mask = layer_head_masks(head_mask, config.num_hidden_layers, hidden.dtype)
        cross = {}  # with encoder states (a decoder): cross-attention inputs
        if encoder_hidden_states is not None and is_decoder:
            cross = cross_attention_inputs(
                encoder_hidden_states, encoder_attention_mask, cache, hidden
            )
        stack = modules[self.encoder_attribute](
            hidden,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            output_hidden_states,
            config.attn_implementation or "sdpa",
            **cross,
        )
        hidden = stack[0]
        outputs = {"last_hidden_state": hidden, "hidden_states": stack[1], "attentions": stack[2]}
        pooler = modules.get("pooler")
        if pooler is None:  # no pooler (None), or one that is not a registered module
            pooler = self.pooler
        if pooler is not None:
            outputs["pooler_output"] = pooler(hidden)
        if use_cache:
            outputs["past_key_values"] = past_key_values
        if cross:
            outputs["cross_attentions"] = stack[3]
        return self.model_outputs(self.base_output_class.of(outputs), return_dict)


__all__ = ["EncoderEmbeddings", "EncoderModel", "Pooler", "sinusoidal_positions"]
