"""One-token T5 decoder steps without module calls: the same functions the modules call.

A generated token runs each decoder block's three residual sublayers; for small models the
module calls around the ops cost as much as the ops. `T5DecodePlan` binds every block's tensors
once per `generate` and runs a step through `layers_t5`'s functions (`t5_block`,
`residual_sublayer` + `t5_attention`, `feed_forward_residual` + `dense_act_dense` /
`gated_dense_act_dense`, `t5_layer_norm`), with the stack's own `self_attention_bias` and the
embedding's own `forward`. The core's `LeanGuard` is checked in full once per generation
(`SourceAttendingPlan.engaged`, which also notices a hook added later): a hook, an instance
`forward`, a patched or overriding `forward` (`trusted_forward`), training, autograd or
`TFX_FAST_PATHS=0` sends the steps through the modules. Beams that share a source read its
encoder keys/values once (`EncoderDecoderCache.group`, as the BART-family plan does).
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.torch.blocks.functional import Fn
from tfx_core.modeling.torch.blocks.seq2seq import residual_sublayer
from tfx_core.modeling.torch.blocks.seq2seq_lean import (
    LeanSeq2SeqDecoding,
    SourceAttendingPlan,
    shared_source_queries,
)
from tfx_core.modeling.torch.cache import EncoderDecoderCache
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted
from tfx_core.modeling.torch.linear import Linear, linear
from tfx_plugin_t5.layers_t5 import (
    T5Attention,
    T5DenseActDense,
    T5DenseGatedActDense,
    T5LayerNorm,
    dense_act_dense,
    feed_forward_residual,
    gated_dense_act_dense,
    t5_attention,
    t5_block,
    t5_layer_norm,
)
from tfx_plugin_t5.stack_t5 import T5Stack

__all__ = ["LeanT5Decoding", "T5DecodePlan"]


class LeanT5Block(NamedTuple):
    """A decoder block's tensors bound to plain functions."""

    self_norm: Fn
    self_attention: dict[str, Any]
    cross_norm: Fn
    cross_attention: dict[str, Any]
    ffn_norm: Fn
    dense: Fn


def _identity(hidden: torch.Tensor) -> torch.Tensor:
    return hidden  # dropout at inference


def _projection(module: nn.Module) -> Fn | None:
    """The projection's `forward` with its tensors bound (`nn.Linear` or the core's `Linear`)."""
    if type(module) is Linear:
        return partial(linear, weight=module.weight, bias=module.bias)
    if type(module) is nn.Linear:
        return partial(F.linear, weight=module.weight, bias=module.bias)
    return None


def _norm(module: nn.Module) -> Fn | None:
    if type(module) is not T5LayerNorm:
        return None
    return partial(
        t5_layer_norm,
        weight=module.weight,
        eps=module.eps,
        normalized_shape=module.normalized_shape,
    )


def _attention(module: nn.Module) -> dict[str, Any] | None:
    if type(module) is not T5Attention:
        return None
    parts = {name: _projection(getattr(module, attribute)) for name, attribute in _QKVO}
    if any(part is None for part in parts.values()):
        return None
    return dict(
        parts,
        heads=module.n_heads,
        layer_idx=module.layer_idx,
        implementation=module.implementation,
    )


_QKVO = (("query", "q"), ("key", "k"), ("value", "v"), ("output", "o"))


def _dense(module: nn.Module) -> Fn | None:
    if type(module) is T5DenseActDense:
        wi, wo = _projection(module.wi), _projection(module.wo)
        if wi is None or wo is None:
            return None
        return partial(
            dense_act_dense,
            wi=wi,
            act=module.act,
            wo=wo,
            wo_weight=module.wo.weight,
            dropout=_identity,
        )
    if type(module) is T5DenseGatedActDense:
        parts = [_projection(module.wi_0), _projection(module.wi_1), _projection(module.wo)]
        if any(part is None for part in parts):
            return None
        wi_0, wi_1, wo = parts
        return partial(
            gated_dense_act_dense,
            wi_0=wi_0,
            wi_1=wi_1,
            act=module.act,
            wo=wo,
            wo_weight=module.wo.weight,
            dropout=_identity,
        )
    return None


def _bind_block(block: nn.Module) -> LeanT5Block | None:
    if len(block.layer) != 3:
        return None
    own, cross, feed_forward = block.layer
    parts = (
        _norm(own.layer_norm),
        _attention(own.SelfAttention),
        _norm(cross.layer_norm),
        _attention(cross.EncDecAttention),
        _norm(feed_forward.layer_norm),
        _dense(feed_forward.DenseReluDense),
    )
    if any(part is None for part in parts):
        return None
    return LeanT5Block(*parts)


class T5DecodePlan(SourceAttendingPlan):
    """A T5 LM's one-token decoder step with its tensors bound."""

    def __init__(self, model: Any, blocks: list[LeanT5Block], final_norm: Fn, head: Fn) -> None:
        self.guard = LeanGuard(model)
        self.decoder = model.get_decoder()
        self.blocks = blocks
        self.final_norm = final_norm
        self.head = head
        config = model.config
        self.rescale = config.d_model**-0.5 if config.tie_word_embeddings else None

    @classmethod
    def build(cls, model: Any) -> T5DecodePlan | None:
        """The plan, or None when this model must decode through its modules."""
        decoder = model.get_decoder()
        head = _projection(model.get_output_embeddings())
        if not (
            fast_paths_enabled()
            and all_trusted(model)
            and type(decoder) is T5Stack
            and decoder.is_decoder
            and type(decoder.embed_tokens) is nn.Embedding
            and head is not None
            and model.get_output_embeddings().bias is None
        ):
            return None
        blocks = [_bind_block(block) for block in decoder.block]
        final_norm = _norm(decoder.final_layer_norm)
        if any(block is None for block in blocks) or final_norm is None:
            return None
        return cls(model, blocks, final_norm, head)

    def usable(self) -> bool:
        """Nothing changed or observes the model since the plan was built (checked once per
        generation, see `SourceAttendingPlan.engaged`)."""
        return self.guard.same_structure() and self.guard.unobserved()

    def bind(
        self,
        cache: EncoderDecoderCache,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
    ) -> Fn:
        """The generation's step: each block's sublayers bound to its caches and source."""
        self_cache, cross_cache, encoder_hidden_states, group = self.source(
            cache, encoder_hidden_states
        )
        cross_bias = self.encoder_bias(encoder_attention_mask, encoder_hidden_states, group)
        blocks = []
        for block in self.blocks:
            crossed = partial(
                t5_attention,
                key_value_states=encoder_hidden_states,
                cache=cross_cache,
                bias=cross_bias,
                **block.cross_attention,
            )
            if group > 1:
                crossed = partial(shared_source_queries, attend=crossed, group=group)
            blocks.append(
                (
                    partial(
                        t5_attention,
                        key_value_states=None,
                        cache=self_cache,
                        **block.self_attention,
                    ),
                    block.self_norm,
                    partial(
                        residual_sublayer, norm=block.cross_norm, sublayer=crossed, pre_norm=True
                    ),
                    partial(
                        feed_forward_residual,
                        norm=block.ffn_norm,
                        dense=block.dense,
                        dropout=_identity,
                    ),
                )
            )
        return partial(self._step, blocks=tuple(blocks), cache=self_cache)

    def _step(self, input_ids: torch.Tensor, *, blocks: tuple, cache: Any) -> torch.Tensor:
        """Logits `[batch, vocab]` for one new token per row; the cache is updated."""
        decoder = self.decoder
        past = cache.get_seq_length()
        hidden = decoder.embed_tokens.forward(input_ids)
        positions = torch.arange(past, past + 1, device=hidden.device)
        position_bias = decoder.self_attention_bias(None, positions, past + 1, hidden.dtype)
        for own, self_norm, crossed, feed_forward in blocks:
            own = partial(own, bias=position_bias)
            hidden = t5_block(
                hidden,
                partial(residual_sublayer, norm=self_norm, sublayer=own, pre_norm=True),
                crossed,
                feed_forward,
            )[0]
        hidden = self.final_norm(hidden)
        if self.rescale is not None:  # T5 v1.0 rescales before the tied projection
            hidden = hidden * self.rescale
        return self.head(hidden)[:, -1]


class LeanT5Decoding(LeanSeq2SeqDecoding):
    """Mixin for `T5ForConditionalGeneration`: lean one-token decoder steps in `generate`."""

    plan_class = T5DecodePlan
