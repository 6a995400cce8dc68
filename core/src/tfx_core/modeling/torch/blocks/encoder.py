"""The BERT-style post-norm encoder: the module tree (and checkpoint names) BERT made standard.

```
encoder.layer.N.attention.self.{query,key,value}      SelfAttention
encoder.layer.N.attention.output.{dense,LayerNorm}    SelfOutput
encoder.layer.N.intermediate.dense                    Intermediate
encoder.layer.N.output.{dense,LayerNorm}              Output
```

BERT, RoBERTa, ELECTRA, Camembert, XLM-R, LayoutLM, ... share this tree; a plugin names the
classes its own way with one-line subclasses (`class BertLayer(EncoderLayer)`) and sets the
child classes as class attributes, so a researcher patching `BertLayer.forward` patches BERT
alone. The fields read from the config are the BERT ones (`hidden_size`,
`num_attention_heads`, `intermediate_size`, `hidden_act`, `layer_norm_eps`,
`hidden_dropout_prob`, `attention_probs_dropout_prob`, `position_embedding_type`).

Speed without a second copy of the math: at inference the self-attention computes query, key
and value as one product (`FusedProjections`), and `Encoder` runs its layers through a lean plan
(see `lean_encoder.py`) that calls the same functions as these modules' `forward`s.

As a decoder (`is_decoder`: causal self-attention, KV cache) with `add_cross_attention`, each
layer also has `crossattention` (an `Attention` whose keys and values come from the encoder's
states, projected once per generation into a `CrossAttentionCache`), between the self-attention
and the feed-forward network: BERT2BERT, BertGeneration, `RobertaForCausalLM` as a decoder.
Such calls go through the modules.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.activations import activation_fn, training_activation
from tfx_core.modeling.torch.attention import causal_mask
from tfx_core.modeling.torch.blocks.functional import (
    activated,
    multi_head_context,
    residual_norm,
    split_fused_heads,
    split_heads,
)
from tfx_core.modeling.torch.blocks.lean_encoder import LeanLayout, LeanPostNormEncoder
from tfx_core.modeling.torch.blocks.lean_training import LeanTrainingLayout
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.dropout import Dropout
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_core.modeling.torch.masks import attention_bias
from tfx_core.modeling.torch.projections import FusedProjections


@trusted_forward
class SelfAttention(nn.Module):
    """Multi-head self-attention with `query`, `key`, `value` projections.

    `position_embedding_type` "relative_key" adds q . e(i - j) to the scores and
    "relative_key_query" also k . e(i - j), e being a learned embedding of the distance
    (`distance_embedding`).
    """

    def __init__(
        self, config: Any, layer_idx: int = 0, position_embedding_type: str | None = None
    ) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_attention_heads = config.num_attention_heads
        self.attention_head_size = hidden // self.num_attention_heads
        self.layer_idx = layer_idx
        self.query = Linear(hidden, hidden)
        self.key = Linear(hidden, hidden)
        self.value = Linear(hidden, hidden)
        self.dropout_p = config.attention_probs_dropout_prob
        self.position_embedding_type = position_embedding_type or getattr(
            config, "position_embedding_type", "absolute"
        )
        if self.position_embedding_type != "absolute":
            self.max_position_embeddings = config.max_position_embeddings
            self.distance_embedding = nn.Embedding(
                2 * config.max_position_embeddings - 1, self.attention_head_size
            )
        self.projections = FusedProjections(self, ("query", "key", "value"))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        encoder_hidden_states: torch.Tensor | None = None,
        cross_cache: CrossAttentionCache | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Self-attention; with `encoder_hidden_states`, attention over those (keys and values
        from `cross_cache` when it holds this layer's, else projected and stored there)."""
        batch, length = hidden_states.shape[:2]
        heads = self.num_attention_heads
        if encoder_hidden_states is not None:
            query = split_heads(self.query(hidden_states), batch, length, heads)
            key, value = self._encoder_keys_values(encoder_hidden_states, cross_cache)
            return multi_head_context(
                query,
                key,
                value,
                bias=bias,
                dropout_p=self.dropout_p if self.training else 0.0,
                head_mask=head_mask,
                output_attentions=output_attentions,
                implementation=implementation,
            )
        fused = self.projections.weights_for(hidden_states)
        if fused is not None:  # inference: one product for the three projections
            qkv = linear(hidden_states, *fused)
            query, key, value = split_fused_heads(qkv, batch, length, heads)
        else:
            query = split_heads(self.query(hidden_states), batch, length, heads)
            key = split_heads(self.key(hidden_states), batch, length, heads)
            value = split_heads(self.value(hidden_states), batch, length, heads)
        if cache is not None:
            key, value = cache.update(key, value, self.layer_idx)
        if self.position_embedding_type != "absolute":
            bias = self._relative_bias(query, key, bias, is_causal)
            is_causal = False
        return multi_head_context(
            query,
            key,
            value,
            bias=bias,
            is_causal=is_causal,
            dropout_p=self.dropout_p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )

    def _encoder_keys_values(
        self, states: torch.Tensor, cache: CrossAttentionCache | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        cached = cache.get(self.layer_idx) if cache is not None else None
        if cached is not None:
            return cached
        batch, length, heads = states.shape[0], states.shape[1], self.num_attention_heads
        key = split_heads(self.key(states), batch, length, heads)
        value = split_heads(self.value(states), batch, length, heads)
        if cache is not None:
            cache.update(key, value, self.layer_idx)
        return key, value

    def _relative_bias(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
    ) -> torch.Tensor:
        """Relative-position scores as an additive bias (already divided by sqrt(head_dim))."""
        q_len, k_len = query.shape[2], key.shape[2]
        device = query.device
        rows = torch.arange(k_len - q_len, k_len, device=device)[:, None]
        distance = rows - torch.arange(k_len, device=device)[None]
        table = self.distance_embedding(distance + self.max_position_embeddings - 1)
        table = table.to(query.dtype)
        scores = torch.einsum("bhld,lrd->bhlr", query, table)
        if self.position_embedding_type == "relative_key_query":
            scores = scores + torch.einsum("bhrd,lrd->bhlr", key, table)
        scores = scores * self.attention_head_size**-0.5
        if is_causal:
            causal = causal_mask(None, q_len, k_len, query.dtype, device)
            bias = (
                causal if bias is None else (bias + causal).clamp_min(torch.finfo(bias.dtype).min)
            )
        return scores if bias is None else scores + bias


@trusted_forward
class SelfOutput(nn.Module):
    """Attention output projection, dropout, residual add and layer norm."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout if self.training else None
        return residual_norm(hidden_states, input_tensor, self.dense, self.LayerNorm, dropout)


@trusted_forward
class Attention(nn.Module):
    """`self` (the attention) and `output` (projection + residual + norm)."""

    self_class: ClassVar[type[nn.Module]] = SelfAttention
    output_class: ClassVar[type[nn.Module]] = SelfOutput

    def __init__(
        self, config: Any, layer_idx: int = 0, position_embedding_type: str | None = None
    ) -> None:
        super().__init__()
        if position_embedding_type is None:
            self.self = self.self_class(config, layer_idx)
        else:  # cross-attention: absolute positions whatever the config says
            self.self = self.self_class(config, layer_idx, position_embedding_type)
        self.output = self.output_class(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        **cross: Any,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`cross`: `encoder_hidden_states` and `cross_cache` for cross-attention."""
        context, weights = self.self(
            hidden_states,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            implementation,
            **cross,
        )
        return self.output(context, hidden_states), weights


@trusted_forward
class Intermediate(nn.Module):
    """First feed-forward projection and the activation (`hidden_act`).

    In training (autograd on, fast paths on), exact GELU (`F.gelu`) runs as `training_gelu`:
    small tensors through torch's own kernel rather than oneDNN's (the tiny-model step)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = Linear(config.hidden_size, config.intermediate_size)
        self.intermediate_act_fn = activation_fn(config.hidden_act)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        activation = self.intermediate_act_fn
        if self.training and torch.is_grad_enabled():
            activation = training_activation(activation)
        return activated(hidden_states, self.dense, activation)


@trusted_forward
class Output(nn.Module):
    """Second feed-forward projection, dropout, residual add and layer norm."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = Linear(config.intermediate_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = Dropout(config.hidden_dropout_prob)

    def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
        dropout = self.dropout if self.training else None
        return residual_norm(hidden_states, input_tensor, self.dense, self.LayerNorm, dropout)


@trusted_forward
class EncoderLayer(nn.Module):
    """One post-norm layer: attention (+ residual, norm), then the feed-forward network.

    With `config.add_cross_attention` (a decoder only) `crossattention` attends over the
    encoder's states between the two when `encoder_hidden_states` is given.
    """

    attention_class: ClassVar[type[nn.Module]] = Attention
    intermediate_class: ClassVar[type[nn.Module]] = Intermediate
    output_class: ClassVar[type[nn.Module]] = Output
    lean_layout: ClassVar[LeanLayout | None] = LeanLayout(
        attention="attention.self",
        heads="num_attention_heads",
        attention_output="attention.output.dense",
        attention_norm="attention.output.LayerNorm",
        intermediate="intermediate.dense",
        activation="intermediate.intermediate_act_fn",
        output="output.dense",
        output_norm="output.LayerNorm",
    )
    lean_training_layout: ClassVar[LeanTrainingLayout | None] = LeanTrainingLayout(
        probability_dropout="dropout_p",
        attention_dropout="attention.output.dropout",
        output_dropout="output.dropout",
    )

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        self.attention = self.attention_class(config, layer_idx)
        if getattr(config, "add_cross_attention", False):
            if not getattr(config, "is_decoder", False):
                raise ConfigError(
                    f"{type(config).__name__} has add_cross_attention=True but is_decoder=False: "
                    "cross-attention needs a decoder; set is_decoder=True as well."
                )
            self.crossattention = self.attention_class(
                config, layer_idx, position_embedding_type="absolute"
            )
        self.intermediate = self.intermediate_class(config)
        self.output = self.output_class(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_bias: torch.Tensor | None = None,
        cross_cache: CrossAttentionCache | None = None,
    ) -> tuple[torch.Tensor, ...]:
        """`(hidden_states, weights)`, and the cross-attention weights third when
        `encoder_hidden_states` is given."""
        attended, weights = self.attention(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        if encoder_hidden_states is None:
            return self.output(self.intermediate(attended), attended), weights
        cross = self.__dict__["_modules"].get("crossattention")
        if cross is None:
            raise ConfigError(
                f"{type(self).__name__} has no cross-attention: build the model with "
                "config.add_cross_attention=True (and is_decoder=True) to pass "
                "encoder_hidden_states."
            )
        attended, cross_weights = cross(
            attended,
            encoder_bias,
            False,
            None,
            head_mask,
            output_attentions,
            implementation,
            encoder_hidden_states=encoder_hidden_states,
            cross_cache=cross_cache,
        )
        return self.output(self.intermediate(attended), attended), weights, cross_weights


@trusted_forward
class Encoder(LeanPostNormEncoder):
    """`num_hidden_layers` layers in `layer`; runs them lean at inference (same math)."""

    layer_class: ClassVar[type[nn.Module]] = EncoderLayer

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.layer = nn.ModuleList(
            self.layer_class(config, i) for i in range(config.num_hidden_layers)
        )


def cross_attention_inputs(
    encoder_hidden_states: torch.Tensor,
    encoder_attention_mask: torch.Tensor | None,
    cache: Cache | None,
    hidden: torch.Tensor,
) -> dict[str, Any]:
    """`Encoder.forward`'s cross-attention arguments: the encoder's states, the bias from their
    padding mask, and the cross-attention part of an `EncoderDecoderCache` (if given)."""
    bias, _ = attention_bias(
        encoder_attention_mask,
        query_length=hidden.shape[1],
        key_length=encoder_hidden_states.shape[1],
        dtype=hidden.dtype,
        device=hidden.device,
    )
    return {
        "encoder_hidden_states": encoder_hidden_states,
        "encoder_bias": bias,
        "cross_cache": getattr(cache, "cross_attention_cache", None),
    }
