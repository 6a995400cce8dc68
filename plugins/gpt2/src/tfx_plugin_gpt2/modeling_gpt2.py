"""GPT-2 in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

Read top to bottom: the block (the core's pre-norm decoder layer, named the GPT-2 way:
`h.N.{ln_1, attn.{c_attn, c_proj}, ln_2, mlp.{c_fc, c_proj}}`, projections stored `[in, out]`
by `Conv1D`), the base `GPT2Model` (token + learned position embeddings, the blocks, `ln_f`),
then the heads. What GPT-2 shares with other decoders lives in `tfx_core.modeling.torch`: the
layer math, the KV cache, the split-K decode product, the one-token decode plan
(`LeanDecoding`), the generic heads, masks, losses.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import (
    CrossAttention,
    DecoderAttention,
    DecoderLayer,
    DecoderMLP,
)
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.functional import split_heads
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.conv1d import Conv1D
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config

__all__ = [
    "GPT2MLP",
    "Conv1D",
    "GPT2Attention",
    "GPT2Block",
    "GPT2CrossAttention",
    "GPT2ForSequenceClassification",
    "GPT2ForTokenClassification",
    "GPT2LMHeadModel",
    "GPT2Model",
    "GPT2PreTrainedModel",
]


class GPT2Attention(DecoderAttention):
    """Causal self-attention; query, key and value come from one fused projection `c_attn`."""

    qkv_attribute = "c_attn"
    output_attribute = "c_proj"
    projection_kind = "conv1d"
    attention_dropout_field = "attn_pdrop"
    output_dropout_field = "resid_pdrop"

    def __init__(self, config: GPT2Config, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.upcast = config.reorder_and_upcast_attn  # scores in float32 for half precision
        self.attn_dropout = nn.Dropout(config.attn_pdrop)

    def attention_scale(self, config: GPT2Config, layer_idx: int) -> float:
        scale = self.head_dim**-0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        return scale


class GPT2CrossAttention(CrossAttention):
    """Attention over an encoder's states (`add_cross_attention`): `q_attn` for the queries,
    one `c_attn` product for keys and values, `c_proj` out."""

    query_attribute = "q_attn"
    key_attribute = value_attribute = "c_attn"
    output_attribute = "c_proj"
    projection_kind = "conv1d"
    attention_dropout_field = "attn_pdrop"

    def __init__(self, config: GPT2Config, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        if config.scale_attn_by_inverse_layer_idx or not config.scale_attn_weights:
            raise ConfigError(
                "tfx's GPT-2 cross-attention uses the standard 1/sqrt(head_dim) scale: "
                "scale_attn_by_inverse_layer_idx and scale_attn_weights=False are not supported "
                "with add_cross_attention."
            )
        self.c_attn = Conv1D(2 * config.hidden_size, config.hidden_size)

    def keys_values(
        self, encoder_hidden_states: torch.Tensor, cache: CrossAttentionCache | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cached = cache.get(self.layer_idx) if cache is not None else None
        if cached is not None:
            return cached
        batch, source = encoder_hidden_states.shape[:2]
        keys, values = self.c_attn(encoder_hidden_states).chunk(2, dim=-1)
        key = split_heads(keys, batch, source, self.num_heads)
        value = split_heads(values, batch, source, self.num_heads)
        if cache is not None:
            cache.update(key, value, self.layer_idx)
        return key, value


class GPT2MLP(DecoderMLP):
    """Expand (`c_fc`), activation (`activation_function`), project back (`c_proj`)."""

    up_attribute = "c_fc"
    gate_attribute = None
    down_attribute = "c_proj"
    activation_attribute = "act"
    activation_field = "activation_function"
    projection_kind = "conv1d"
    dropout_field = "resid_pdrop"

    def inner_size(self, config: GPT2Config) -> int:
        return config.inner_size  # n_inner, or 4 x n_embd


class GPT2Block(DecoderLayer):
    """Pre-norm block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    input_norm_attribute = "ln_1"
    attention_attribute = "attn"
    post_norm_attribute = "ln_2"
    attention_class = GPT2Attention
    mlp_class = GPT2MLP
    norm_kind = "layer"
    norm_eps_field = "layer_norm_epsilon"
    cross_attention_attribute = "crossattention"  # built with config.add_cross_attention
    cross_norm_attribute = "ln_cross_attn"
    cross_attention_class = GPT2CrossAttention


class GPT2PreTrainedModel(PreTrainedModel):
    """Shared GPT-2 loading rules and weight initialisation."""

    config_class = GPT2Config
    base_model_prefix = "transformer"
    # old checkpoints saved the causal-mask buffers of the attention layers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.bias$", r"\.attn\.masked_bias$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        std = self.config.initializer_range
        with torch.no_grad():
            if isinstance(module, Conv1D):
                module.weight.normal_(mean=0.0, std=std)
                module.bias.zero_()
            # GPT-2 paper: residual projections scaled by 1/sqrt(number of residual layers)
            if isinstance(module, (GPT2Attention, GPT2CrossAttention, GPT2MLP)):
                module.c_proj.weight.normal_(mean=0.0, std=std / (2 * self.config.n_layer) ** 0.5)


@trusted_forward
class GPT2Model(DecoderModel, GPT2PreTrainedModel):
    """The GPT-2 decoder stack: token + position embeddings, blocks `h`, final norm `ln_f`."""

    layers_attribute = "h"
    final_norm_attribute = "ln_f"
    position_embedding_attribute = "wpe"  # learned positions; tokens `wte`, dropout `drop`

    def __init__(self, config: GPT2Config) -> None:
        super().__init__(config)
        self.embed_dim = config.n_embd
        self.wte = nn.Embedding(config.vocab_size, self.embed_dim)
        self.wpe = nn.Embedding(config.n_positions, self.embed_dim)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPT2Block(config, layer_idx=i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.wte = embeddings

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        cache_position: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.LongTensor | None = None,
        position_ids: torch.LongTensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        return self.decoder_forward(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            position_ids=position_ids,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
        )


@trusted_forward
class GPT2LMHeadModel(LeanDecoding, GenerationMixin, CausalLMHead, GPT2PreTrainedModel):
    """GPT-2 with a language-modeling head tied to the token embeddings; has `generate`."""

    base_model_class = GPT2Model
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: GPT2Config) -> None:
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)


class GPT2ForSequenceClassification(SequenceClassificationHead, GPT2PreTrainedModel):
    """A linear classifier (`score`) on each sequence's last non-padding token."""

    base_model_class = GPT2Model
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class GPT2ForTokenClassification(TokenClassificationHead, GPT2PreTrainedModel):
    """A linear classifier on every token's hidden state."""

    base_model_class = GPT2Model
    dropout_fields = ("classifier_dropout", "hidden_dropout")
