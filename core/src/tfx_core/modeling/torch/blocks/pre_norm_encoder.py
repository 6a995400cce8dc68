"""The transformer encoder layer of ViT, DeiT, CLIP, Wav2Vec2 and HuBERT, names parameterised.

These architectures share one layer: self-attention over separate query/key/value projections
and an output projection, then a two-layer feed-forward, each with a residual and a LayerNorm.
ViT, DeiT, CLIP and Wav2Vec2's "stable layer norm" variant normalise before each sub-layer
(pre-norm); Wav2Vec2-base and HuBERT-base after it (`norm_first = False`). Only the checkpoint
names differ, so a plugin's layer is a subclass that sets `names` (a `LayerNames`), e.g.
`VIT_NAMES` (`attention.attention.query`, `layernorm_before`, `intermediate.dense`, ...).
Query, key and value run as one fused product at inference (`FusedProjections`), and the
large products on oneDNN (`onednn.dense`: hundreds of patches or frames per image or clip),
with the exact GELU and the residual adds inside the products (`fuses_products`: oneDNN
post-ops, skipped when a hook or patch could see it). A layer can compute its outputs for the
first few positions only (`first_rows`, still attending over every position): a classifier
reading the class token needs no more from the last layer, and at inference those few queries
need no key or value products either (`few_queries_context`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.activations import ActivationModule, get_activation
from tfx_core.modeling.torch.blocks.functional import multi_head_context, split_heads
from tfx_core.modeling.torch.first_token import unobserved_rows
from tfx_core.modeling.torch.onednn import DenseLinear, dense
from tfx_core.modeling.torch.projections import FusedProjections


class LayerNames(NamedTuple):
    """Checkpoint paths of a layer's parts, relative to the layer."""

    attention: str  # the module holding the query, key and value projections
    query: str
    key: str
    value: str
    attention_output: str  # full path of the attention's output projection
    norm_before: str  # the attention's LayerNorm (before it when pre-norm, after when post-norm)
    norm_after: str  # the feed-forward's LayerNorm
    fc_in: str
    fc_out: str


VIT_NAMES = LayerNames(
    "attention.attention", "query", "key", "value", "attention.output.dense",
    "layernorm_before", "layernorm_after", "intermediate.dense", "output.dense",
)  # fmt: skip
CLIP_NAMES = LayerNames(
    "self_attn", "q_proj", "k_proj", "v_proj", "self_attn.out_proj",
    "layer_norm1", "layer_norm2", "mlp.fc1", "mlp.fc2",
)  # fmt: skip
WAV2VEC2_NAMES = LayerNames(
    "attention", "q_proj", "k_proj", "v_proj", "attention.out_proj",
    "layer_norm", "final_layer_norm",
    "feed_forward.intermediate_dense", "feed_forward.output_dense",
)  # fmt: skip


def _config_value(config: Any, fields: tuple[str, ...], default: float = 0.0) -> float:
    for field in fields:
        value = getattr(config, field, None)
        if value is not None:
            return float(value)
    return default


class Part(nn.Module):
    """A named container on a checkpoint path (e.g. ViT's `attention` and `intermediate`)."""


class QKVProjections(Part):
    """Holds the query, key and value projections under the checkpoint's names."""

    def __init__(self, names: tuple[str, str, str], hidden: int, bias: bool = True) -> None:
        super().__init__()
        for name in names:
            setattr(self, name, DenseLinear(hidden, hidden, bias=bias))
        self.names = names
        self.fused = FusedProjections(self, names)

    def project(
        self, hidden: torch.Tensor, first_rows: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Query, key and value of `hidden`; the query of its first `first_rows` positions only
        when given."""
        query_input = hidden if first_rows is None else hidden[:, :first_rows]
        weights = self.fused.weights()
        if weights is None:
            query, key, value = (getattr(self, name) for name in self.names)
            return query(query_input), key(hidden), value(hidden)
        weight, bias = weights
        if first_rows is None:
            fused = dense(hidden, weight, bias, sources=self.fused.parameters())
            return fused.chunk(3, dim=-1)  # type: ignore[return-value]
        width = weight.shape[0] // 3
        query = dense(query_input, weight[:width], None if bias is None else bias[:width])
        key_value = dense(hidden, weight[width:], None if bias is None else bias[width:])
        return query, *key_value.chunk(2, dim=-1)  # type: ignore[return-value]


_PROJECT = QKVProjections.project


def few_queries_context(
    projections: QKVProjections,
    hidden: torch.Tensor,
    rows: int,
    heads: int,
    bias: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """Attention context `[batch, rows, hidden]` of the first `rows` queries of `hidden`
    `[batch, length, hidden]`, without projecting every position to keys and values; None
    when it does not apply (then project as usual).

    With few queries (a class-token head reading the last layer), the keys' product folds
    into the queries and the values' into the weighted sum: `q . (W_k x + b_k) =
    (W_k^T q) . x + q . b_k`, where the last term is the same for every key and cancels in the
    softmax, and `sum_j p_j (W_v x_j + b_v) = W_v (sum_j p_j x_j) + b_v` as the weights sum to
    one. The same numbers up to rounding, for `rows * heads` products of width `hidden`
    instead of two products over every position. Inference only (the fused weights are there:
    no grad, fast paths on, the projections unpatched and unhooked, `project` the core's),
    float32 or float64.
    """
    batch, length, width = hidden.shape
    if hidden.dtype not in (torch.float32, torch.float64) or 8 * rows * heads > width:
        return None
    if rows >= length or (bias is not None and bias.dim() != 4):
        return None
    if type(projections).project is not _PROJECT or "project" in projections.__dict__:
        return None  # projections of their own (e.g. VideoMAE's separate biases)
    weights = projections.fused.weights()
    if weights is None or weights[0].dtype != hidden.dtype:
        return None
    weight, full_bias = weights
    dim = width // heads
    query = dense(
        hidden[:, :rows], weight[:width], None if full_bias is None else full_bias[:width]
    )
    # per head: [heads, batch * rows, dim] @ [heads, dim, width] -> queries over the inputs
    per_head = query.view(batch * rows, heads, dim).transpose(0, 1)
    folded = torch.bmm(per_head, weight[width : 2 * width].view(heads, dim, width))
    folded = folded.view(heads, batch, rows * width).transpose(0, 1)
    folded = folded.reshape(batch, heads * rows, width)
    scores = torch.bmm(folded, hidden.transpose(1, 2)).view(batch, heads, rows, length)
    scores.mul_(dim**-0.5)
    if bias is not None:
        scores = (scores + bias).clamp_min_(torch.finfo(scores.dtype).min)
    probabilities = torch.softmax(scores, dim=-1).view(batch, heads * rows, length)
    mixed = torch.bmm(probabilities, hidden).view(batch, heads, rows * width)
    mixed = mixed.transpose(0, 1).reshape(heads, batch * rows, width)
    values = weight[2 * width :].view(heads, dim, width).transpose(1, 2)
    if full_bias is None:
        context = torch.bmm(mixed, values)
    else:
        context = torch.baddbmm(full_bias[2 * width :].view(heads, 1, dim), mixed, values)
    return context.transpose(0, 1).reshape(batch, rows, width)


def _place(root: nn.Module, path: str, module: nn.Module) -> None:
    """Register `module` at dotted `path` under `root`, creating `Part` containers on the way."""
    *parents, name = path.split(".")
    owner = root
    for part in parents:
        child = owner._modules.get(part)
        if child is None:
            child = Part()
            owner.add_module(part, child)
        owner = child
    owner.add_module(name, module)


def _get(root: nn.Module, path: str) -> nn.Module:
    return root.get_submodule(path)


class PreNormEncoderLayer(nn.Module):
    """Self-attention and feed-forward sub-layers with residuals and LayerNorms.

    Config fields: hidden_size, num_attention_heads, intermediate_size, hidden_act,
    layer_norm_eps, and the dropouts named in `dropout_fields`.
    """

    names: ClassVar[LayerNames] = VIT_NAMES
    norm_first: ClassVar[bool] = True
    #: each sub-layer's output goes through `scale_branch` before its residual add (pre-norm)
    scales_branches: ClassVar[bool] = False
    dropout_fields: ClassVar[dict[str, tuple[str, ...]]] = {
        "attention": ("attention_probs_dropout_prob", "attention_dropout"),
        "hidden": ("hidden_dropout_prob", "hidden_dropout"),
        "activation": ("activation_dropout",),
    }

    def __init__(self, config: Any) -> None:
        super().__init__()
        names, hidden = self.names, config.hidden_size
        self.num_heads = config.num_attention_heads
        eps = getattr(config, "layer_norm_eps", 1e-12)
        qkv = QKVProjections(
            (names.query, names.key, names.value), hidden, getattr(config, "qkv_bias", True)
        )
        _place(self, names.attention, qkv)
        _place(self, names.attention_output, DenseLinear(hidden, hidden))
        _place(self, names.norm_before, nn.LayerNorm(hidden, eps=eps))
        _place(self, names.norm_after, nn.LayerNorm(hidden, eps=eps))
        _place(self, names.fc_in, DenseLinear(hidden, config.intermediate_size))
        _place(self, names.fc_out, DenseLinear(config.intermediate_size, hidden))
        self.activation = get_activation(config.hidden_act)
        self.attention_dropout = _config_value(config, self.dropout_fields["attention"])
        self.hidden_dropout = nn.Dropout(_config_value(config, self.dropout_fields["hidden"]))
        self.activation_dropout = nn.Dropout(
            _config_value(config, self.dropout_fields["activation"])
        )
        self.implementation = getattr(config, "attn_implementation", None) or "sdpa"

    def attention_block(
        self,
        hidden: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        output_attentions: bool = False,
        first_rows: int | None = None,
        residual: torch.Tensor | None = None,
        fused: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Self-attention of `hidden`: `(output, weights)`; with `first_rows`, the output (and
        the weights) of the first `first_rows` positions only; `residual` is added to the
        output (inside the output product when `fused`: see `fuses_products`)."""
        projections = _get(self, self.names.attention)
        if first_rows is not None and bias is not None and bias.shape[-2] > 1:
            bias = bias[..., :first_rows, :]
        folded = None
        if first_rows is not None and not (self.training or output_attentions or is_causal):
            folded = few_queries_context(projections, hidden, first_rows, self.num_heads, bias)
        if folded is not None:
            context, weights = folded, None
        else:
            context, weights = self._context(
                projections, hidden, bias, is_causal, output_attentions, first_rows
            )
        output = _get(self, self.names.attention_output)
        if fused:
            return dense(context, output.weight, output.bias, residual=residual), weights
        out = self.hidden_dropout(output(context))
        return (out if residual is None else residual + out), weights

    def _context(
        self,
        projections: QKVProjections,
        hidden: torch.Tensor,
        bias: torch.Tensor | None,
        is_causal: bool,
        output_attentions: bool,
        first_rows: int | None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        batch, length, _ = hidden.shape
        query, key, value = projections.project(hidden, first_rows)
        return multi_head_context(
            split_heads(query, batch, query.shape[1], self.num_heads),
            split_heads(key, batch, length, self.num_heads),
            split_heads(value, batch, length, self.num_heads),
            bias=bias,
            is_causal=is_causal,
            dropout_p=self.attention_dropout if self.training else 0.0,
            output_attentions=output_attentions,
            implementation="eager" if output_attentions else self.implementation,
        )

    def feed_forward_block(
        self, hidden: torch.Tensor, residual: torch.Tensor | None = None, fused: bool = False
    ) -> torch.Tensor:
        """The feed-forward of `hidden`, plus `residual` when given; with `fused`, the exact
        GELU and the residual run inside the products (see `fuses_products`)."""
        fc_in, fc_out = _get(self, self.names.fc_in), _get(self, self.names.fc_out)
        if fused and self.activation.fn is F.gelu:
            inner = dense(hidden, fc_in.weight, fc_in.bias, gelu=True)
            return dense(inner, fc_out.weight, fc_out.bias, residual=residual)
        hidden = self.activation_dropout(self.activation(fc_in(hidden)))
        if fused:
            return dense(hidden, fc_out.weight, fc_out.bias, residual=residual)
        out = self.hidden_dropout(fc_out(hidden))
        return out if residual is None else residual + out

    def scale_branch(self, output: torch.Tensor, branch: int) -> torch.Tensor:
        """A sub-layer's output (`branch` 0: attention, 1: feed-forward) before its residual
        add, when `scales_branches` (e.g. layer scale, stochastic depth); as is here."""
        return output

    def fuses_products(self) -> bool:
        """Whether activation and residual may run inside the products (oneDNN post-ops; the
        same math): inference, fast paths on, no hook in the layer, and the projections and
        activation running their own `forward` (no adapter, no patch)."""
        if self.training or torch.is_grad_enabled():
            return False
        names = self.names
        forwards = {_get(self, path): DenseLinear.forward for path in (names.fc_in, names.fc_out)}
        forwards[_get(self, names.attention_output)] = DenseLinear.forward
        forwards[self.activation] = ActivationModule.forward
        return unobserved_rows(self, forwards)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_bias: torch.Tensor | None = None,
        is_causal: bool = False,
        output_attentions: bool = False,
        first_rows: int | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`(hidden states, attention weights)`; with `first_rows` (not causal), the states of
        the first `first_rows` positions only."""
        norm_before = _get(self, self.names.norm_before)
        norm_after = _get(self, self.names.norm_after)
        residual = hidden_states if first_rows is None else hidden_states[:, :first_rows]
        fused = self.fuses_products()
        if self.norm_first and self.scales_branches:
            attended, weights = self.attention_block(
                norm_before(hidden_states), attention_bias, is_causal, output_attentions,
                first_rows, None, fused,
            )  # fmt: skip
            hidden_states = residual + self.scale_branch(attended, 0)
            out = self.feed_forward_block(norm_after(hidden_states), None, fused)
            hidden_states = hidden_states + self.scale_branch(out, 1)
        elif self.norm_first:
            hidden_states, weights = self.attention_block(
                norm_before(hidden_states), attention_bias, is_causal, output_attentions,
                first_rows, residual, fused,
            )  # fmt: skip
            hidden_states = self.feed_forward_block(norm_after(hidden_states), hidden_states, fused)
        else:
            attended, weights = self.attention_block(
                hidden_states, attention_bias, is_causal, output_attentions, first_rows,
                residual, fused,
            )  # fmt: skip
            hidden_states = norm_before(attended)
            hidden_states = norm_after(self.feed_forward_block(hidden_states, hidden_states, fused))
        return hidden_states, weights


_LAYER_FORWARD = PreNormEncoderLayer.forward


def computes_first_rows(layer: nn.Module) -> bool:
    """Whether `layer` may compute only its first positions unobserved: the core layer's own
    `forward`, fast paths on, no hook on it or below it (see `first_token.unobserved_rows`)."""
    return unobserved_rows(layer, {layer: _LAYER_FORWARD})


def run_layers(
    layers: nn.ModuleList,
    hidden_states: torch.Tensor,
    *,
    attention_bias: torch.Tensor | list | None = None,
    is_causal: bool = False,
    output_attentions: bool = False,
    output_hidden_states: bool = False,
    last_layer_rows: int | None = None,
    between: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
) -> tuple[torch.Tensor, tuple | None, tuple | None]:
    """Run `layers` in order; (last hidden states, the input + every layer's output, attentions).

    `attention_bias`: one for every layer, or a list of one per layer. `between(index, states)`:
    applied to a layer's output before the next layer (not after the last; the hidden states
    returned are the layers' outputs). `last_layer_rows`: the last layer computes the first
    `last_layer_rows` positions only (for a head that reads no others; ignored when hidden
    states or attentions are returned, with fast paths off, and when the last layer is hooked
    or its `forward` replaced: see `computes_first_rows`).
    """
    all_hidden: tuple = (hidden_states,)
    all_attentions: tuple = ()
    if output_hidden_states or output_attentions or is_causal or not layers:
        last_layer_rows = None
    if last_layer_rows is not None and not computes_first_rows(layers[-1]):
        last_layer_rows = None
    last = len(layers) - 1
    for index, layer in enumerate(layers):
        bias = attention_bias[index] if isinstance(attention_bias, list) else attention_bias
        if index == last and last_layer_rows is not None:
            hidden_states, weights = layer(
                hidden_states, bias, is_causal, output_attentions, last_layer_rows
            )
        else:
            hidden_states, weights = layer(hidden_states, bias, is_causal, output_attentions)
        if output_hidden_states:
            all_hidden += (hidden_states,)
        if output_attentions:
            all_attentions += (weights,)
        if between is not None and index < last:
            hidden_states = between(index, hidden_states)
    return (
        hidden_states,
        all_hidden if output_hidden_states else None,
        all_attentions if output_attentions else None,
    )


__all__ = [
    "CLIP_NAMES",
    "VIT_NAMES",
    "WAV2VEC2_NAMES",
    "LayerNames",
    "Part",
    "PreNormEncoderLayer",
    "QKVProjections",
    "computes_first_rows",
    "few_queries_context",
    "run_layers",
]
