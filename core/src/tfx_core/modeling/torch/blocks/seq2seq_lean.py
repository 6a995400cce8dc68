"""One-token decoder steps of the BART-family models without module calls: the same math.

A generated token runs ~30 small ops per decoder layer (self-attention, cross-attention,
feed-forward); for small models the module calls around them cost as much as the ops.
`Seq2SeqDecodePlan` binds each decoder layer's tensors once (kept for later `generate`s while
nothing it bound changed, `reusable`) and runs the steps, on `[batch, hidden]` rows, through
the functions the modules' `forward`s call (`residual_sublayer`,
`causal_self_attention`, `cross_attention`, `seq2seq_feed_forward`), with the embeddings'
own `forward`s. On a generation's first step (a new cache) the plan checks `LeanGuard` in full
and binds what stays fixed until its end (the sublayers with their caches, the encoder's keys
and values, the cross-attention bias, the position embeddings of every step): a hook, an
instance `forward`, a patched or overriding `forward` (`is_trusted`), training, autograd or
`TFX_FAST_PATHS=0` sends the steps through the modules. Later steps only check in O(1) that no
hook or module appeared since (`LeanGuard.settled`); the rest is not changed mid-`generate`.

`LeanSeq2SeqDecoding` is mixed into `ConditionalGenerationHead`: it builds (or reuses) the plan
in `_prepare_for_decoding` and uses it in `_seq2seq_decode_forward`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar, NamedTuple

import torch

from tfx_core.modeling.torch.activations import decode_activation
from tfx_core.modeling.torch.blocks.decoder import bound_norm, bound_projection, cross_attention
from tfx_core.modeling.torch.blocks.functional import Fn, causal_self_attention
from tfx_core.modeling.torch.blocks.seq2seq import residual_sublayer, seq2seq_feed_forward
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import (
    LearnedPositions,
    ScaledEmbedding,
    SinusoidalPositions,
)
from tfx_core.modeling.torch.blocks.seq2seq_lean_encoder import TensorsStamp, whole_qkv
from tfx_core.modeling.torch.blocks.seq2seq_model import Seq2SeqDecoder, _Stack
from tfx_core.modeling.torch.cache import EncoderDecoderCache
from tfx_core.modeling.torch.conv1d import output_layout_product, relayout_for_decoding
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted
from tfx_core.modeling.torch.masks import attention_bias
from tfx_core.modeling.torch.onednn import decode_linear, rows_packable

__all__ = ["LeanSeq2SeqDecoding", "Seq2SeqDecodePlan", "shared_source_queries", "token_embedding"]


class LeanSeq2SeqLayer(NamedTuple):
    """A decoder layer's tensors bound to plain functions."""

    pre_norm: bool
    self_norm: Fn
    attention: dict[str, Any]
    cross_norm: Fn
    cross: Any  # the CrossAttention module: `keys_values` fills the cross cache once
    query: Fn
    output: Fn
    heads: int
    ffn_norm: Fn
    fc1: Fn
    activation: Fn
    fc2: Fn


def _bind_layer(layer: Any) -> LeanSeq2SeqLayer | None:
    cross = layer.encoder_attn
    parts = (
        bound_norm(layer.self_attn_layer_norm),
        layer.self_attn.lean_functions(),
        bound_norm(layer.encoder_attn_layer_norm),
        bound_projection(getattr(cross, cross.query_attribute)),
        bound_projection(getattr(cross, cross.output_attribute)),
        bound_norm(layer.final_layer_norm),
        bound_projection(layer.fc1),
        bound_projection(layer.fc2),
    )
    if any(part is None for part in parts):
        return None
    self_norm, attention, cross_norm, query, output, ffn_norm, fc1, fc2 = parts
    return LeanSeq2SeqLayer(
        layer.pre_norm,
        self_norm,
        whole_qkv(attention),
        cross_norm,
        cross,
        query,
        output,
        cross.num_heads,
        ffn_norm,
        fc1,
        decode_activation(layer.activation_fn),
        fc2,
    )


def _identity(hidden: torch.Tensor) -> torch.Tensor:
    return hidden


def _default_logits(model_class: type) -> bool:
    """The head computes logits with the core's `lm_logits` (the plan reproduces it)."""
    default = getattr(model_class, "default_lm_logits", None)
    return default is not None and getattr(model_class, "lm_logits", None) is default


class SourceAttendingPlan:
    """Base of the one-token encoder-decoder decode plans (this module's, T5's): what a step
    reads of the source, and the once-per-generation guard check and binding.

    A subclass provides `usable()` and `bind(cache, encoder_hidden_states, mask)`, which
    returns the generation's step (`step(input_ids) -> logits`); the decoding hook asks
    `engaged(...)` and then calls the plan.
    """

    _mask: tuple[Any, Any] = (None, None)  # (mask object, its bias): built once per generation
    guard: LeanGuard
    stamp: TensorsStamp | None = None  # the tensors the plan was built with (`reusable`)

    def usable(self) -> bool:
        raise NotImplementedError

    @classmethod
    def applies(cls, model: Any) -> bool:
        """The model-level conditions of `build` that the guard does not watch (class methods
        besides `forward`, config values the plan binds); checked again before each reuse."""
        return fast_paths_enabled()

    def reusable(self, model: Any) -> bool:
        """Whether this plan, built for an earlier generation, may serve the next one as it is:
        the same modules, classes and `forward`s (`LeanGuard.same_structure`), every parameter
        and buffer the same tensor at the same memory and in-place version, the same attribute
        values on every module, the same thread count (`TensorsStamp`), and `applies`. Hooks,
        patches and modes are still checked in full by each generation (`engaged`)."""
        return (
            self.stamp is not None
            and self.guard.same_structure()
            and self.stamp.current()
            and self.applies(model)
        )

    def bind(
        self, cache: EncoderDecoderCache, encoder_hidden_states: torch.Tensor, mask: Any
    ) -> Fn:
        raise NotImplementedError

    def engaged(
        self,
        cache: EncoderDecoderCache,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
    ) -> bool:
        """Whether this step of the generation that `cache` belongs to runs through the plan.

        On the first step with a new cache the guard is checked in full (`usable`) and the
        step bound (`bind`); the two are kept on the cache (`lean_step`, freed with it). Later
        steps only check, in O(1), that no hook or module appeared since
        (`LeanGuard.settled`), and repeat the full check when one did.
        """
        bound = cache.lean_step
        if bound is not None and bound[0] is self:
            return bound[1] is not None and (self.guard.settled() or self.usable())
        step = (
            self.bind(cache, encoder_hidden_states, encoder_attention_mask)
            if self.usable()
            else None
        )
        cache.lean_step = (self, step)
        return step is not None

    def __call__(
        self,
        input_ids: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
        cache: EncoderDecoderCache,
    ) -> torch.Tensor:
        """Logits `[batch, vocab]` for one new token per row; the cache is updated."""
        bound = cache.lean_step
        if bound is None or bound[0] is not self or bound[1] is None:
            bound = (self, self.bind(cache, encoder_hidden_states, encoder_attention_mask))
            cache.lean_step = bound
        return bound[1](input_ids)

    @staticmethod
    def source(cache: EncoderDecoderCache, encoder_hidden_states: torch.Tensor) -> tuple:
        """`(self cache, cross cache, source states, group)` for one step. When beams share
        their source (`cache.group` > 1) its keys/values and rows are kept once and all the
        beams attend as that source's queries."""
        self_cache, cross_cache = cache.self_attention_cache, cache.cross_attention_cache
        group = cache.group
        if group > 1:
            cross_cache = cache.grouped_cross_attention_cache
            encoder_hidden_states = encoder_hidden_states[::group]
        return self_cache, cross_cache, encoder_hidden_states, group

    def encoder_bias(self, mask: torch.Tensor | None, states: torch.Tensor, group: int) -> Any:
        """The cross-attention padding bias (one row per source when `group` rows share one),
        built once per generation (same mask object)."""
        if mask is None:
            return None
        if self._mask[0] is not mask:
            bias, _ = attention_bias(
                mask[::group],
                query_length=1,
                dtype=states.dtype,
                device=states.device,
                key_length=states.shape[1],
            )
            self._mask = (mask, bias)
        return self._mask[1]


def position_table(cache: EncoderDecoderCache, module: Any, dtype: torch.dtype) -> Any:
    """The position embeddings (`module.forward`, in `dtype`) of every position the
    generation's self-attention cache was sized for, read row by row by the steps; None when
    the cache does not say its size or `module` is not a plain position table."""
    if type(module).forward not in (LearnedPositions.forward, SinusoidalPositions.forward):
        return None
    rows = min(
        getattr(cache.self_attention_cache, "capacity", 0), module.num_embeddings - module.offset
    )
    if rows <= 0:
        return None
    return module.forward(torch.arange(rows, device=module.weight.device)).to(dtype)


class Seq2SeqDecodePlan(SourceAttendingPlan):
    """An encoder-decoder LM's one-token decoder step with its tensors bound."""

    def __init__(self, model: Any, layers: list[LeanSeq2SeqLayer], norms: tuple, head: Fn):
        self.guard = LeanGuard(model)
        self.decoder = model.get_decoder()
        self.layers = layers
        self.embedding_norm, self.final_norm = norms
        self.head = head
        self.bias = model._buffers.get("final_logits_bias")
        self.model_class = type(model)
        self.implementation = model.config.attn_implementation or "sdpa"

    @classmethod
    def applies(cls, model: Any) -> bool:
        decoder = model.get_decoder()
        head = model.get_output_embeddings()
        stack = type(decoder)
        return (
            fast_paths_enabled()
            and isinstance(decoder, Seq2SeqDecoder)
            and stack.forward is Seq2SeqDecoder.forward
            and stack.embed is _Stack.embed
            and stack.position_embeddings is _Stack.position_embeddings
            and stack.skipped is _Stack.skipped  # (M2M100 draws LayerDrop numbers in eval)
            and bound_projection(head) is not None
            and head.bias is None
            and _default_logits(type(model))
        )

    def reusable(self, model: Any) -> bool:
        return self.implementation == (
            model.config.attn_implementation or "sdpa"
        ) and super().reusable(model)

    @classmethod
    def build(cls, model: Any) -> Seq2SeqDecodePlan | None:
        """The plan, or None when this model must decode through its modules."""
        if not (cls.applies(model) and all_trusted(model)):
            return None
        decoder = model.get_decoder()
        head = model.get_output_embeddings()
        layers = [_bind_layer(layer) for layer in decoder.layers]
        norms = (
            bound_norm(decoder.layernorm_embedding) if decoder.embedding_norm else _identity,
            bound_norm(decoder.layer_norm) if decoder.final_norm else _identity,
        )
        if any(layer is None for layer in layers) or None in norms:
            return None
        if rows_packable(head.weight):  # float32: laid out for the beams' rows
            logits = decode_linear(head.weight)
        else:
            relayout_for_decoding(head.weight)
            logits = output_layout_product(head.weight)
        return cls(model, layers, norms, logits)

    def usable(self) -> bool:
        """Nothing changed or observes the model since the plan was built (checked once per
        generation, see `engaged`)."""
        return (
            self.guard.same_structure()
            and self.guard.unobserved()
            and _default_logits(self.model_class)
        )

    def bind(
        self,
        cache: EncoderDecoderCache,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
    ) -> Fn:
        """The generation's step: its sublayers bound to its caches, source and bias."""
        self_cache, cross_cache, encoder_hidden_states, group = self.source(
            cache, encoder_hidden_states
        )
        bias = self.encoder_bias(encoder_attention_mask, encoder_hidden_states, group)
        sublayers = []
        for layer in self.layers:
            attention = partial(
                causal_self_attention,
                cache=self_cache,
                implementation=self.implementation,
                **layer.attention,
            )
            crossed = self._cross(
                layer, encoder_hidden_states, cross_cache, bias, cache.static_cross
            )
            if group > 1:
                crossed = partial(shared_source_queries, attend=crossed, group=group)
            feed_forward = partial(
                seq2seq_feed_forward, fc1=layer.fc1, activation=layer.activation, fc2=layer.fc2
            )
            sublayers.append(
                tuple(
                    partial(
                        residual_sublayer,
                        norm=norm,
                        sublayer=sublayer,
                        pre_norm=layer.pre_norm,
                        fresh=True,
                    )
                    for norm, sublayer in (
                        (layer.self_norm, attention),
                        (layer.cross_norm, crossed),
                        (layer.ffn_norm, feed_forward),
                    )
                )
            )
        decoder = self.decoder
        table = position_table(cache, decoder.embed_positions, decoder.embed_tokens.weight.dtype)
        bias = self.bias
        return partial(
            self._step,
            embed=token_embedding(decoder.embed_tokens),
            sublayers=tuple(sublayers),
            cache=self_cache,
            positions=() if table is None else table.unbind(0),  # one row view per position
            bias=None if bias is None or not bool(bias.any()) else bias[0],  # zeros add nothing
        )

    def _cross(
        self, layer: LeanSeq2SeqLayer, states: torch.Tensor, cache: Any, bias: Any, static: bool
    ) -> Fn:
        """A layer's cross-attention sublayer. The encoder's keys and values are projected now
        (into the cross cache, as a first module step would); when `generate` never reorders
        them (`static`) they are bound, else each step reads them from the cache."""
        attend = partial(
            cross_attention,
            query=layer.query,
            output=layer.output,
            heads=layer.heads,
            bias=bias,
            implementation=self.implementation,
        )
        key, value = layer.cross.keys_values(states, cache)
        if static:
            return partial(attend, key=key, value=value)
        return partial(_cached_cross, attend=attend, layer=layer.cross, states=states, cache=cache)

    def _step(
        self,
        input_ids: torch.Tensor,
        *,
        embed: Fn,
        sublayers: tuple,
        cache: Any,
        positions: tuple[torch.Tensor, ...],
        bias: torch.Tensor | None,
    ) -> torch.Tensor:
        """Logits `[batch, vocab]` for one new token per row; the cache is updated. The states
        are `[batch, hidden]` rows throughout (the products then skip flattening)."""
        past = cache.get_seq_length()
        tokens = embed(input_ids.reshape(-1))
        if past < len(positions):
            position = positions[past]
        else:
            position = torch.arange(past, past + 1, device=tokens.device)
            position = self.decoder.embed_positions.forward(position).to(tokens.dtype)
        hidden = self.embedding_norm(tokens.add_(position))  # (the embedding's new rows)
        for attend, cross, feed_forward in sublayers:
            hidden = attend(hidden)[0]
            hidden = cross(hidden)[0]
            hidden = feed_forward(hidden)[0]
        logits = self.head(self.final_norm(hidden))
        if bias is None:
            return logits
        return logits.add_(bias.to(logits.dtype))  # the head's fresh output: in place


def token_embedding(module: Any) -> Fn:
    """The token embedding's `forward` for a step's ids: `torch.embedding` on its table when
    that is all the forward computes (a plain or unscaled `ScaledEmbedding`, no `max_norm`,
    inference: `padding_idx` only shapes gradients), else the bound `forward`."""
    forward = type(module).forward
    plain = forward is torch.nn.Embedding.forward or (
        forward is ScaledEmbedding.forward and module.embed_scale == 1.0
    )
    if plain and module.max_norm is None:
        return partial(torch.embedding, module.weight)
    return module.forward


def _cached_cross(
    hidden: torch.Tensor, *, attend: Any, layer: Any, states: torch.Tensor, cache: Any
) -> tuple[torch.Tensor, Any]:
    key, value = layer.keys_values(states, cache)
    return attend(hidden, key=key, value=value)


def shared_source_queries(
    hidden: torch.Tensor, *, attend: Fn, group: int
) -> tuple[torch.Tensor, Any]:
    """`attend(hidden)` (a cross-attention over keys/values kept once per source) where each
    `group` consecutive rows share that source: the group's new tokens become that source's
    queries, through a free view. `hidden` is `[rows, length, width]` or `[rows, width]`."""
    rows, width = hidden.shape[0], hidden.shape[-1]
    out, weights = attend(hidden.view(rows // group, -1, width))
    return out.reshape(*hidden.shape[:-1], out.shape[-1]), weights


class LeanSeq2SeqDecoding:
    """Mixin for seq2seq LM heads: lean one-token decoder steps through `plan_class` (the core
    block's plan; T5 names its own), falling back to the modules when it does not apply."""

    plan_class: ClassVar[Any] = Seq2SeqDecodePlan

    def _prepare_for_decoding(self) -> None:
        """Once per `generate`: the plan of the previous generation when it may serve again
        (`reusable`), else a new one."""
        super()._prepare_for_decoding()  # type: ignore[misc]
        state = self.__dict__
        plan = state.get("_seq2seq_plan")
        if plan is not None and type(plan) is self.plan_class and plan.reusable(self):
            plan._mask = (None, None)  # (the caller may have written a mask in place since)
            return
        plan = state["_seq2seq_plan"] = self.plan_class.build(self)
        if plan is not None:
            plan.stamp = TensorsStamp(plan.guard)

    def _seq2seq_decode_forward(
        self,
        decoder_input_ids: torch.LongTensor,
        *,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
        decoder_attention_mask: torch.Tensor | None,
        cache: Any,
    ) -> torch.Tensor:
        plan = self.__dict__.get("_seq2seq_plan")
        if (
            plan is not None
            and decoder_input_ids.shape[1] == 1
            and decoder_attention_mask is None
            and isinstance(cache, EncoderDecoderCache)
            and plan.engaged(cache, encoder_hidden_states, encoder_attention_mask)
        ):
            return plan(decoder_input_ids, encoder_hidden_states, encoder_attention_mask, cache)
        return super()._seq2seq_decode_forward(  # type: ignore[misc]
            decoder_input_ids,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            decoder_attention_mask=decoder_attention_mask,
            cache=cache,
        )
