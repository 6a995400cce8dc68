"""One-token decode steps of a causal LM without module calls: the same math as `forward`.

Each generated token runs ~20 small ops per layer; for small models the Python around them
(module calls, attribute lookups) costs as much as the ops. `DecodePlan` binds every layer's
tensors once per `generate` (`DecoderLayer.lean_functions`) and runs the steps through the very
functions the modules' `forward`s call (`blocks.functional.pre_norm_layer`,
`causal_self_attention`, `feed_forward`) and the base model's own `embed`. So an edit of that
math changes both paths, and anything the plan cannot see sends the step through the modules:
`LeanGuard` is checked on every step (hooks, an instance `forward`, a class-level patch or an
overriding subclass of any module's `forward` (`is_trusted`), training, autograd,
`TFX_FAST_PATHS=0`).

`LeanDecoding` is mixed into a causal-LM head before `GenerationMixin`: it builds the plan in
`_prepare_for_decoding` (also laying the tied output matrix out `[hidden, vocab]` in memory
for the split-K product, see `conv1d.py`; a bf16 CPU head is instead laid out once for oneDNN,
see `onednn.decode_linear`, as every bf16 projection of the plan) and uses it in
`_decode_forward` for one-token steps.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch
from torch import nn

from tfx_core.modeling.torch.blocks.decoder import LeanDecoderLayer, bound_norm
from tfx_core.modeling.torch.blocks.decoder_model import sliding_window_bias
from tfx_core.modeling.torch.blocks.functional import causal_self_attention
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.conv1d import Conv1D, output_layout_product, relayout_for_decoding
from tfx_core.modeling.torch.fast_paths import fast_paths_enabled
from tfx_core.modeling.torch.heads import LanguageModelingHead
from tfx_core.modeling.torch.lean import LeanGuard, all_trusted
from tfx_core.modeling.torch.linear import Linear
from tfx_core.modeling.torch.masks import attention_bias
from tfx_core.modeling.torch.onednn import decode_linear, packable


def _default_lm_logits(model_class: type) -> bool:
    """The head projects with the core's `lm_logits` (the plan applies the output matrix
    itself): an override or a class-level patch of `lm_logits` sends decoding through it."""
    return getattr(model_class, "lm_logits", None) is LanguageModelingHead.lm_logits


def _unchanged(hidden: torch.Tensor) -> torch.Tensor:
    return hidden


def _plain_output(module: nn.Module | None) -> bool:
    return type(module) in (nn.Linear, Linear)


def _output_product(head: nn.Module) -> Any:
    """The logits product: a bf16 head laid out once (`decode_linear`: bitwise `F.linear`),
    else split-K over the head relaid out `[hidden, vocab]` (`output_layout_product`)."""
    if packable(head.weight):
        return decode_linear(head.weight, head.bias)
    return output_layout_product(head.weight, head.bias)


class DecodePlan:
    """A causal LM's one-token step with its tensors bound (see module doc)."""

    def __init__(
        self,
        model: nn.Module,
        layers: list[LeanDecoderLayer],
        final_norm: Any,
        head: Any,
    ) -> None:
        self.guard = LeanGuard(model)
        self.model_class = type(model)
        self.base = model.base_model
        self.layers = layers
        self.final_norm = final_norm
        self.head = head
        # bf16 products (laid out or not) give `F.linear`'s bits for any row count, so a
        # prompt runs through the plan exactly as through the modules (not GPT-2's Conv1D;
        # the modules' SDPA attention only)
        config = model.config
        self.prompts = (
            model.get_output_embeddings().weight.dtype is torch.bfloat16
            and (config.attn_implementation or "sdpa") == "sdpa"
            and not config.output_attentions
            and not any(type(module) is Conv1D for module in model.modules())
        )

    @classmethod
    def build(cls, model: nn.Module) -> DecodePlan | None:
        """The plan, or None when this model must decode through its modules."""
        base = model.base_model
        head = model.get_output_embeddings()
        if not (
            fast_paths_enabled()
            and all_trusted(model)
            and _plain_output(head)
            and _default_lm_logits(type(model))
        ):
            return None
        layers = [layer.lean_functions() for layer in base.decoder_layers()]
        final_norm = _unchanged
        if base.final_norm_attribute is not None:
            final_norm = bound_norm(getattr(base, base.final_norm_attribute))
        if final_norm is None or any(layer is None for layer in layers):
            return None
        return cls(model, layers, final_norm, _output_product(head))

    def usable(self) -> bool:
        """Nothing changed or observes the model since the plan was built (checked per step)."""
        return (
            self.guard.same_structure()
            and self.guard.unobserved()
            and _default_lm_logits(self.model_class)
        )

    def takes(self, input_ids: torch.Tensor, mask: torch.Tensor | None) -> bool:
        """Whether the plan runs this step: one token per row (no mask or a 4D one), or a
        bf16 prompt (`prompts`; no mask or a 2D one)."""
        if input_ids.shape[1] == 1 and (mask is None or mask.dim() == 4):
            return True
        return self.prompts and (mask is None or mask.dim() == 2)

    def __call__(
        self,
        input_ids: torch.Tensor,
        position_ids: torch.Tensor | None,
        bias: torch.Tensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """Logits `[batch, vocab]` of each row's last new token; the cache is updated.

        One token per row runs as `[batch, hidden]` rows with `bias` None or 4D additive; a
        prompt (`takes`) gets the modules' `attention_bias` from its 2D 0/1 mask (or None).
        """
        batch, length = input_ids.shape
        past = cache.get_seq_length()
        hidden = self.base.embed(input_ids, None, position_ids, None, past)
        is_causal = False
        if length == 1 and (bias is None or bias.dim() == 4):
            hidden = hidden.view(batch, hidden.shape[-1])  # rows: one token each
        else:
            bias, is_causal = attention_bias(
                bias,
                query_length=length,
                dtype=hidden.dtype,
                device=hidden.device,
                causal=True,
                past_length=past,
                key_length=cache.get_max_cache_shape() if cache.is_static else None,
            )
        positions = self.base.layer_positions(position_ids, past, length)
        window = self.base.attention_window()
        if window is not None:
            bias, is_causal = sliding_window_bias(bias, is_causal, window, past, length, hidden)
        for layer in self.layers:
            attention = partial(
                causal_self_attention,
                cache=cache,
                bias=bias,
                is_causal=is_causal,
                positions=positions,
                **layer.attention,
            )
            hidden = layer.residual(
                hidden, layer.input_norm, attention, layer.post_norm, layer.mlp
            )[0]
        if hidden.dim() == 3:
            hidden = hidden[:, -1]
        return self.head(self.final_norm(hidden))


class LeanDecoding:
    """Mixin for causal-LM heads on a `DecoderModel`: lean one-token decode steps."""

    def _prepare_for_decoding(self) -> None:
        super()._prepare_for_decoding()  # type: ignore[misc]
        plan = None
        if fast_paths_enabled():
            head = self.get_output_embeddings()  # type: ignore[attr-defined]
            if _plain_output(head) and not packable(head.weight):
                relayout_for_decoding(head.weight)
            plan = DecodePlan.build(self)  # type: ignore[arg-type]
        self.__dict__["_decode_plan"] = plan

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        plan: DecodePlan | None = self.__dict__.get("_decode_plan")
        if plan is not None and plan.takes(input_ids, attention_mask) and plan.usable():
            return plan(input_ids, position_ids, attention_mask, cache)
        return super()._decode_forward(  # type: ignore[misc]
            input_ids, attention_mask=attention_mask, position_ids=position_ids, cache=cache
        )


__all__ = ["DecodePlan", "LeanDecoding"]
