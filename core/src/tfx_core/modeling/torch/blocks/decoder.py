"""The pre-norm decoder layer (GPT-2, Llama, Mistral, Qwen2, mBART-style), names configurable.

```
GPT-2        h.N.{ln_1, attn.{c_attn, c_proj}, ln_2, mlp.{c_fc, c_proj}}        Conv1D, LayerNorm
Llama-style  layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
             post_attention_layernorm, mlp.{gate,up,down}_proj}                 Linear, RMSNorm
```

A plugin names the classes and attributes with class attributes on one-line subclasses
(`class GPT2Block(DecoderLayer)`), so checkpoints load unchanged and a patch of
`GPT2Block.forward` patches GPT-2 alone. The math is `blocks.functional`
(`causal_self_attention`, `feed_forward`, `pre_norm_layer`); each module's `forward` passes its
submodules, and `lean_functions()` returns the same tensors bound to plain functions for the
one-token decode plan (`lean_decoder.py`): one copy of the math.

`CrossAttention` is the encoder-decoder block: queries from the decoder, keys and values from
the encoder's states, computed once per `generate` and kept in a `CrossAttentionCache`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.functional import (
    Fn,
    causal_self_attention,
    feed_forward,
    multi_head_context,
    pre_norm_layer,
    split_heads,
)
from tfx_core.modeling.torch.blocks.norms import UpcastRMSNorm, bound_norm
from tfx_core.modeling.torch.blocks.norms import upcast_rms_norm as upcast_rms_norm  # re-export
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.conv1d import Conv1D, decode_product
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_core.modeling.torch.onednn import decode_linear
from tfx_core.modeling.torch.projections import FusedProjections


def projection(kind: str, in_features: int, out_features: int, bias: bool = True) -> nn.Module:
    """A linear projection stored the way the checkpoint stores it ("conv1d": `[in, out]`)."""
    if kind == "conv1d":
        return Conv1D(out_features, in_features)
    return Linear(in_features, out_features, bias=bias)


def bound_projection(module: nn.Module) -> Fn | None:
    """`module.forward` with its tensors bound, for a plain Conv1D or Linear (else None)."""
    if type(module) is Conv1D:
        return decode_product(module.weight, module.bias)
    if isinstance(module, nn.Linear) and type(module).forward in (
        Linear.forward,
        nn.Linear.forward,
    ):
        return decode_linear(module.weight, module.bias)
    return None


@trusted_forward
class DecoderAttention(nn.Module):
    """Causal self-attention with a KV cache; fused (`qkv_attribute`) or separate projections.

    Class attributes: `qkv_attribute` (GPT-2's fused "c_attn"; None: `separate_attributes`,
    with grouped key/value heads from `num_key_value_heads`), `output_attribute`,
    `projection_kind` ("linear" or "conv1d"), `attention_dropout_field`,
    `output_dropout_field` (None: no dropout after the output projection). Override
    `attention_scale(config, layer_idx)`, `projection_biases(config)` or
    `rotate(query, key, positions)` (rotary embeddings).
    """

    qkv_attribute: ClassVar[str | None] = None
    separate_attributes: ClassVar[tuple[str, str, str]] = ("q_proj", "k_proj", "v_proj")
    output_attribute: ClassVar[str] = "o_proj"
    projection_kind: ClassVar[str] = "linear"
    attention_dropout_field: ClassVar[str] = "attention_dropout"
    output_dropout_field: ClassVar[str | None] = None
    rotate: ClassVar[Any] = None  # (query, key, positions) -> (query, key) for rotary models
    upcast: bool = False
    window: int | None = None  # attend to the `window` most recent positions only (GPT-Neo local)

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.num_key_value_heads = getattr(config, "num_key_value_heads", None) or self.num_heads
        self.head_dim = getattr(config, "head_dim", None) or hidden // self.num_heads
        self.layer_idx = layer_idx
        self.scale = self.attention_scale(config, layer_idx)
        self.dropout_p = float(getattr(config, self.attention_dropout_field, 0.0) or 0.0)
        bias, output_bias = self.projection_biases(config)
        kind = self.projection_kind
        width, kv_width = self.num_heads * self.head_dim, self.num_key_value_heads * self.head_dim
        if self.qkv_attribute is not None:
            setattr(self, self.qkv_attribute, projection(kind, hidden, width + 2 * kv_width, bias))
        else:
            q, k, v = self.separate_attributes
            setattr(self, q, projection(kind, hidden, width, bias))
            setattr(self, k, projection(kind, hidden, kv_width, bias))
            setattr(self, v, projection(kind, hidden, kv_width, bias))
            self.projections = FusedProjections(self, self.separate_attributes)
        setattr(self, self.output_attribute, projection(kind, width, hidden, output_bias))
        if self.output_dropout_field is not None:
            self.resid_dropout = nn.Dropout(getattr(config, self.output_dropout_field))
        self.splits = (width, kv_width, kv_width)

    def attention_scale(self, config: Any, layer_idx: int) -> float:
        """The factor applied to query . key (default 1 / sqrt(head_dim))."""
        return self.head_dim**-0.5

    def projection_biases(self, config: Any) -> tuple[bool, bool]:
        """Whether the query/key/value and the output projections have biases
        (default: both `config.attention_bias`, True when unset; Qwen2: only the first)."""
        bias = bool(getattr(config, "attention_bias", True))
        return bias, bias

    def qkv(self, hidden: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """The projections of `hidden` through the modules (see `functional.QKV`)."""
        if self.qkv_attribute is not None:
            fused_output = getattr(self, self.qkv_attribute)(hidden)
            if self.num_key_value_heads == self.num_heads:
                return fused_output
            return fused_output.split(self.splits, dim=-1)
        fused = self.projections.weights_for(hidden)
        if fused is not None:
            return linear(hidden, *fused).split(self.splits, dim=-1)
        return tuple(getattr(self, name)(hidden) for name in self.separate_attributes)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        positions: Any = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        dropout = self.resid_dropout if self.training and hasattr(self, "resid_dropout") else None
        return causal_self_attention(
            hidden_states,
            qkv=self.qkv,
            output=getattr(self, self.output_attribute),
            heads=self.num_heads,
            kv_heads=self.num_key_value_heads,
            layer_idx=self.layer_idx,
            cache=cache,
            bias=bias,
            is_causal=is_causal,
            scale=self.scale,
            rotate=self.rotate,
            positions=positions,
            upcast=self.upcast,
            dropout_p=self.dropout_p if self.training else 0.0,
            dropout=dropout,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
            window=self.window,
        )

    def lean_functions(self) -> dict[str, Any] | None:
        """`causal_self_attention`'s arguments with the tensors bound (None: call the module)."""
        if self.qkv_attribute is not None:
            qkv = bound_projection(getattr(self, self.qkv_attribute))
            if qkv is None:
                return None
            if self.num_key_value_heads != self.num_heads:
                qkv = partial(_split_output, project=qkv, splits=self.splits)
        else:
            weights = self.projections.weights()
            if weights is None:
                return None
            fused = decode_linear(*weights, sources=self.projections.parameters())
            qkv = partial(_split_output, project=fused, splits=self.splits)
        output = bound_projection(getattr(self, self.output_attribute))
        if output is None:
            return None
        return dict(
            qkv=qkv,
            output=output,
            heads=self.num_heads,
            kv_heads=self.num_key_value_heads,
            layer_idx=self.layer_idx,
            scale=self.scale,
            rotate=self.rotate,
            upcast=self.upcast,
            window=self.window,
        )


def _split_output(hidden: torch.Tensor, project: Fn, splits: tuple) -> tuple[torch.Tensor, ...]:
    # `split_with_sizes`: the op `Tensor.split` dispatches to, without its Python wrapper
    return project(hidden).split_with_sizes(splits, -1)


@trusted_forward
class DecoderMLP(nn.Module):
    """Feed-forward: `down(act(up(x)))`, or gated `down(act(gate(x)) * up(x))`.

    Class attributes: `up_attribute`, `gate_attribute` (None: not gated), `down_attribute`,
    `activation_attribute`, `activation_field`, `projection_kind`, `bias_field`,
    `dropout_field` (None: no dropout). `inner_size(config)` gives the width. At inference
    gate and up are one product (`gate_up`, `FusedProjections`; same Parameters and keys).
    """

    up_attribute: ClassVar[str] = "up_proj"
    gate_attribute: ClassVar[str | None] = "gate_proj"
    down_attribute: ClassVar[str] = "down_proj"
    activation_attribute: ClassVar[str] = "act_fn"
    activation_field: ClassVar[str] = "hidden_act"
    projection_kind: ClassVar[str] = "linear"
    bias_field: ClassVar[str] = "mlp_bias"
    dropout_field: ClassVar[str | None] = None

    def __init__(self, config: Any) -> None:
        super().__init__()
        hidden, inner = config.hidden_size, self.inner_size(config)
        bias = self.has_bias(config)
        kind = self.projection_kind
        if self.gate_attribute is not None:
            setattr(self, self.gate_attribute, projection(kind, hidden, inner, bias))
        setattr(self, self.up_attribute, projection(kind, hidden, inner, bias))
        setattr(self, self.down_attribute, projection(kind, inner, hidden, bias))
        self.gate_up = None
        if self.gate_attribute is not None and kind == "linear":
            self.gate_up = FusedProjections(self, (self.gate_attribute, self.up_attribute))
        setattr(
            self, self.activation_attribute, activation_fn(getattr(config, self.activation_field))
        )
        if self.dropout_field is not None:
            self.dropout = nn.Dropout(getattr(config, self.dropout_field))

    def inner_size(self, config: Any) -> int:
        return config.intermediate_size

    def has_bias(self, config: Any) -> bool:
        """Whether the projections have biases (`config.<bias_field>`, True when unset)."""
        return bool(getattr(config, self.bias_field, True))

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        gate = self.gate_attribute
        up = getattr(self, self.up_attribute)
        activation = getattr(self, self.activation_attribute)
        fused = self.gate_up.weights_for(hidden_states) if self.gate_up is not None else None
        if fused is not None:  # one product, then `act(gate) * up` of its halves
            gate = None
            up = partial(linear, weight=fused[0], bias=fused[1])
            activation = partial(gated_activation, activation=activation)
        return feed_forward(
            hidden_states,
            up,
            activation,
            getattr(self, self.down_attribute),
            gate=getattr(self, gate) if gate is not None else None,
            dropout=self.dropout if self.training and self.dropout_field is not None else None,
        )

    def lean_functions(self) -> dict[str, Any] | None:
        """`feed_forward`'s arguments with the tensors bound (None: call the module)."""
        activation = getattr(self, self.activation_attribute)
        down = bound_projection(getattr(self, self.down_attribute))
        if isinstance(activation, nn.Module) or down is None:
            return None
        fused = self.gate_up.weights() if self.gate_up is not None else None
        if fused is not None:
            gate_up = decode_linear(*fused, sources=self.gate_up.parameters())
            gated = partial(gated_activation, activation=activation)
            return dict(up=gate_up, activation=gated, down=down, gate=None)
        up, gate = bound_projection(getattr(self, self.up_attribute)), None
        if self.gate_attribute is not None:
            gate = bound_projection(getattr(self, self.gate_attribute))
        if up is None or (gate is None and self.gate_attribute is not None):
            return None
        return dict(up=up, activation=activation, down=down, gate=gate)


def gated_activation(gate_up: torch.Tensor, activation: Fn) -> torch.Tensor:
    """`activation(gate) * up` from the fused product `[..., gate | up]` (`DecoderMLP.gate_up`)."""
    gate, up = gate_up.chunk(2, dim=-1)
    return activation(gate) * up


@trusted_forward
class CrossAttention(nn.Module):
    """Attention of decoder queries over encoder states (`q_proj`, `k_proj`, `v_proj`, `out_proj`).

    Class attributes name the projections (BART's names by default) and `projection_kind`.
    With a `CrossAttentionCache` the encoder's keys and values are projected once per
    generation, on the first step.
    """

    query_attribute: ClassVar[str] = "q_proj"
    key_attribute: ClassVar[str] = "k_proj"
    value_attribute: ClassVar[str] = "v_proj"
    output_attribute: ClassVar[str] = "out_proj"
    projection_kind: ClassVar[str] = "linear"
    attention_dropout_field: ClassVar[str] = "attention_dropout"

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.num_heads = config.num_attention_heads
        self.head_dim = hidden // self.num_heads
        self.layer_idx = layer_idx
        self.dropout_p = float(getattr(config, self.attention_dropout_field, 0.0) or 0.0)
        kind = self.projection_kind
        for name in (self.query_attribute, self.key_attribute, self.value_attribute):
            setattr(self, name, projection(kind, hidden, hidden))
        setattr(self, self.output_attribute, projection(kind, hidden, hidden))

    def keys_values(
        self, encoder_hidden_states: torch.Tensor, cache: CrossAttentionCache | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The encoder's keys and values `[batch, heads, source, dim]` (cached when given)."""
        if cache is not None and self.layer_idx in cache.layers:
            return cache.layers[self.layer_idx]
        batch, source = encoder_hidden_states.shape[:2]
        key = split_heads(
            getattr(self, self.key_attribute)(encoder_hidden_states), batch, source, self.num_heads
        )
        value = split_heads(
            getattr(self, self.value_attribute)(encoder_hidden_states),
            batch,
            source,
            self.num_heads,
        )
        if cache is not None:
            cache.layers[self.layer_idx] = (key, value)
        return key, value

    def forward(
        self,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        cache: CrossAttentionCache | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        head_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        key, value = self.keys_values(encoder_hidden_states, cache)
        return cross_attention(
            hidden_states,
            key,
            value,
            query=getattr(self, self.query_attribute),
            output=getattr(self, self.output_attribute),
            heads=self.num_heads,
            bias=bias,
            dropout_p=self.dropout_p if self.training else 0.0,
            output_attentions=output_attentions,
            implementation=implementation,
            head_mask=head_mask,
        )


def cross_attention(
    hidden: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    query: Fn,
    output: Fn,
    heads: int,
    bias: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    output_attentions: bool = False,
    implementation: str = "sdpa",
    head_mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Decoder queries `[batch, length, hidden]` (or `[batch, hidden]` rows for one new token
    each) over encoder keys/values (already split).

    `head_mask` (`[heads]` or broadcastable) multiplies each head's weights, as the reference
    does with `cross_attn_head_mask`.
    """
    batch = hidden.shape[0]
    length = hidden.shape[1] if hidden.dim() == 3 else 1
    context, weights = multi_head_context(
        split_heads(query(hidden), batch, length, heads),
        key,
        value,
        bias=bias,
        dropout_p=dropout_p,
        head_mask=head_mask,
        output_attentions=output_attentions,
        implementation=implementation,
    )
    return output(context if hidden.dim() == 3 else context.view(batch, -1)), weights


class LeanDecoderLayer(NamedTuple):
    """A layer's functions with bound tensors (see `DecoderLayer.lean_functions`)."""

    input_norm: Fn
    attention: dict[str, Any]
    post_norm: Fn | None
    mlp: Fn
    residual: Any = pre_norm_layer  # how the sublayers combine (`DecoderLayer.layer_function`)


@trusted_forward
class DecoderLayer(nn.Module):
    """A pre-norm layer: `x + attention(norm(x))`, then `x + mlp(norm(x))`.

    Class attributes name the submodules (`input_norm_attribute`, `attention_attribute`,
    `post_norm_attribute`, `mlp_attribute`) and their classes; `norm_kind` ("layer",
    "rms", or "rms_upcast": float32 statistics for half-precision inputs) and `norm_eps_field`
    build the norms. `layer_function` combines the sublayers (`pre_norm_layer`; GPT-J's
    `parallel_residual_layer` with `post_norm_attribute = None`; OpenAI GPT's `post_norm_layer`).
    """

    input_norm_attribute: ClassVar[str] = "input_layernorm"
    attention_attribute: ClassVar[str] = "self_attn"
    post_norm_attribute: ClassVar[str | None] = "post_attention_layernorm"
    layer_function: ClassVar[Any] = staticmethod(pre_norm_layer)
    mlp_attribute: ClassVar[str] = "mlp"
    attention_class: ClassVar[type[nn.Module]] = DecoderAttention
    mlp_class: ClassVar[type[nn.Module]] = DecoderMLP
    norm_kind: ClassVar[str] = "rms"
    norm_eps_field: ClassVar[str] = "rms_norm_eps"
    cross_attention_attribute: ClassVar[str | None] = None  # e.g. "encoder_attn"
    cross_norm_attribute: ClassVar[str | None] = None  # e.g. "encoder_attn_layer_norm"
    cross_attention_class: ClassVar[type[nn.Module]] = CrossAttention

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        setattr(self, self.input_norm_attribute, self.norm(config))
        setattr(self, self.attention_attribute, self.attention_class(config, layer_idx))
        if self.cross_attention_attribute is not None and getattr(
            config, "add_cross_attention", False
        ):
            cross = self.cross_attention_class(config, layer_idx)
            setattr(self, self.cross_attention_attribute, cross)
            setattr(self, self.cross_norm_attribute, self.norm(config))
        if self.post_norm_attribute is not None:
            setattr(self, self.post_norm_attribute, self.norm(config))
        setattr(self, self.mlp_attribute, self.mlp_class(config))

    def norm(self, config: Any) -> nn.Module:
        eps = getattr(config, self.norm_eps_field)
        if self.norm_kind == "rms":
            return nn.RMSNorm(config.hidden_size, eps=eps)
        if self.norm_kind == "rms_upcast":
            return UpcastRMSNorm(config.hidden_size, eps=eps)
        return nn.LayerNorm(config.hidden_size, eps=eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        positions: Any = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_bias: torch.Tensor | None = None,
        cross_cache: CrossAttentionCache | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`(hidden_states, self-attention weights)`; cross-attends when encoder states are given."""
        attention = getattr(self, self.attention_attribute)
        cross, cross_norm = None, None
        if encoder_hidden_states is not None:
            module = getattr(self, self.cross_attention_attribute or "", None)
            if module is None:
                raise ConfigError(
                    f"{type(self).__name__} has no cross-attention: build it with "
                    "config.add_cross_attention=True to pass encoder_hidden_states."
                )
            cross_norm = getattr(self, self.cross_norm_attribute)

            def cross(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
                return module(
                    x, encoder_hidden_states, encoder_bias, cross_cache, False, implementation
                )

        post_norm = self.post_norm_attribute
        hidden_states, weights, _ = self.layer_function(
            hidden_states,
            getattr(self, self.input_norm_attribute),
            lambda x: attention(
                x, bias, is_causal, cache, head_mask, output_attentions, implementation, positions
            ),
            getattr(self, post_norm) if post_norm is not None else None,
            getattr(self, self.mlp_attribute),
            cross,
            cross_norm,
        )
        return hidden_states, weights

    def lean_functions(self) -> LeanDecoderLayer | None:
        """The layer's tensors bound for `pre_norm_layer` (None: it must run as modules)."""
        attention = getattr(self, self.attention_attribute)
        mlp = getattr(self, self.mlp_attribute)
        if not (hasattr(attention, "lean_functions") and hasattr(mlp, "lean_functions")):
            return None
        if self.cross_attention_attribute and hasattr(self, self.cross_attention_attribute):
            return None  # encoder-decoder layers decode through their modules (for now)
        post_norm = None
        if self.post_norm_attribute is not None:
            post_norm = bound_norm(getattr(self, self.post_norm_attribute))
            if post_norm is None:
                return None
        parts = (
            bound_norm(getattr(self, self.input_norm_attribute)),
            attention.lean_functions(),
            mlp.lean_functions(),
        )
        if any(part is None for part in parts):
            return None
        input_norm, attention_args, mlp_args = parts
        return LeanDecoderLayer(
            input_norm,
            attention_args,
            post_norm,
            partial(feed_forward, **mlp_args),
            type(self).layer_function,
        )


def run_layers(
    layers: nn.ModuleList,
    hidden: torch.Tensor,
    *,
    bias: torch.Tensor | None,
    is_causal: bool,
    cache: Cache | None,
    head_masks: list[torch.Tensor] | None = None,
    output_attentions: bool = False,
    output_hidden_states: bool = False,
    implementation: str = "sdpa",
    positions: Any = None,
    **cross: Any,
) -> tuple[torch.Tensor, list[torch.Tensor] | None, list[torch.Tensor] | None]:
    """Every decoder layer in turn (module calls): `(hidden, all hidden states, all weights)`.

    `cross` (`encoder_hidden_states`, `encoder_bias`, `cross_cache`) goes to each layer when
    encoder states are given.
    """
    all_hidden: list[torch.Tensor] | None = [] if output_hidden_states else None
    all_weights: list[torch.Tensor] | None = [] if output_attentions else None
    if cross.get("encoder_hidden_states") is None:
        cross = {}
    for index, layer in enumerate(layers):
        if all_hidden is not None:
            all_hidden.append(hidden)
        head_mask = head_masks[index] if head_masks is not None else None
        hidden, weights = layer(
            hidden,
            bias,
            is_causal,
            cache,
            head_mask,
            output_attentions,
            implementation,
            positions,
            **cross,
        )
        if all_weights is not None:
            all_weights.append(weights)
    return hidden, all_hidden, all_weights
