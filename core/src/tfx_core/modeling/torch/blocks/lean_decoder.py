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
`_decode_forward` for one-token steps, and in `_decode_forward_positions` for assisted
decoding's checks (the k + 1 positions of one sequence in one step, `generation.assisted`): as
a prompt, with float32 products on laid-out copies from 2 rows on (`onednn.packed_from`) and
the output matrix applied to the kept positions only.
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
from tfx_core.modeling.torch.onednn import decode_linear, packable, packed_from, rows_linear
from tfx_core.modeling.torch.projections import FUSED_HALF_MAX_ROWS

#: Rows from which a float32 product of a positions check runs on a laid-out copy: measured on
#: the LLM bench's shapes (2 threads), the copy beats the BLAS (which repacks the weight per
#: call) from 2 rows on, the output matrix 1.6x at 4 rows (5.3 against 8.5 ms), 1.8x at 11.
CHECK_PACKED_ROWS = 2


def _default_lm_logits(model_class: type) -> bool:
    """The head projects with the core's `lm_logits` (the plan applies the output matrix
    itself): an override or a class-level patch of `lm_logits` sends decoding through it."""
    return getattr(model_class, "lm_logits", None) is LanguageModelingHead.lm_logits


def _head_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's output matrix."""
    return model.get_output_embeddings().weight.dtype


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


def _positions_product(head: nn.Module, one_row: Any) -> Any:
    """The logits product of a positions check: a float32 head on its laid-out copy
    (`rows_linear`, under `packed_from`), else the one-token product `one_row`."""
    if packable(head.weight):
        return one_row
    return rows_linear(head.weight, head.bias) or one_row


class DecodePlan:
    """A causal LM's one-token step with its tensors bound (see module doc)."""

    def __init__(
        self,
        model: nn.Module,
        layers: list[LeanDecoderLayer],
        final_norm: Any,
        head: Any,
        positions_head: Any = None,
    ) -> None:
        self.guard = LeanGuard(model)
        self.model_class = type(model)
        self.base = model.base_model
        self.layers = layers
        self.final_norm = final_norm
        self.head = head
        self.positions_head = positions_head or head
        # Several positions of one sequence: assisted decoding's checks in any dtype (their ids
        # are compared, not bits: the modules' multi-row products differ by rounding too);
        # prompts in bf16 only, whose products (laid out or not) give `F.linear`'s bits for
        # any row count, as through the modules. Not GPT-2's Conv1D; SDPA attention only.
        config = model.config
        self.positions = (
            (config.attn_implementation or "sdpa") == "sdpa"
            and not config.output_attentions
            and not any(type(module) is Conv1D for module in model.modules())
        )
        self.prompts = self.positions and _head_dtype(model) is torch.bfloat16

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
        product = _output_product(head)
        return cls(model, layers, final_norm, product, _positions_product(head, product))

    def usable(self) -> bool:
        """Nothing changed or observes the model since the plan was built (checked per step)."""
        return (
            self.guard.same_structure()
            and self.guard.unobserved()
            and _default_lm_logits(self.model_class)
        )

    def takes(self, input_ids: torch.Tensor, mask: torch.Tensor | None) -> bool:
        """Whether the plan runs this step: one token per row (no mask or a 4D one), or a
        bf16 prompt of at most `FUSED_HALF_MAX_ROWS` tokens in all (`prompts`; no mask or a
        2D one: beyond, fused products may not give the modules' bits, see `projections`)."""
        if input_ids.shape[1] == 1 and (mask is None or mask.dim() == 4):
            return True
        return (
            self.prompts
            and (mask is None or mask.dim() == 2)
            and input_ids.numel() <= FUSED_HALF_MAX_ROWS
        )

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
        hidden = self.hidden_states(input_ids, position_ids, bias, cache)
        if hidden.dim() == 3:
            hidden = hidden[:, -1]
        return self.head(self.final_norm(hidden))

    def check_positions(
        self, input_ids: torch.Tensor, cache: Cache, num_logits: int
    ) -> torch.Tensor:
        """Logits `[1, num_logits, vocab]` of the last positions of one unpadded sequence
        continuing `cache` (updated): `forward_positions` through the plan."""
        if input_ids.shape[1] == 1:
            return self(input_ids, None, None, cache)[:, None]
        with packed_from(CHECK_PACKED_ROWS):
            hidden = self.hidden_states(input_ids, None, None, cache)[:, -num_logits:]
            return self.positions_head(self.final_norm(hidden))

    def hidden_states(
        self,
        input_ids: torch.Tensor,
        position_ids: torch.Tensor | None,
        bias: torch.Tensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """The last layer's output for the new tokens (`[batch, hidden]` rows for one token
        each, else `[batch, length, hidden]`), before the final norm; the cache is updated."""
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
        return hidden


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

    def _decode_forward_positions(
        self, input_ids: torch.LongTensor, *, cache: Cache, num_logits: int
    ) -> torch.Tensor:
        """Assisted decoding's check (`generation.assisted.forward_positions`): logits
        `[1, num_logits, vocab]` of the last positions, through the plan when it may run
        (`DecodePlan.positions`, `usable`), else through the modules."""
        plan: DecodePlan | None = self.__dict__.get("_decode_plan")
        if plan is not None and plan.positions and plan.usable():
            return plan.check_positions(input_ids, cache, num_logits)
        outputs = self(  # type: ignore[operator]
            input_ids=input_ids,
            past_key_values=cache,
            use_cache=True,
            logits_to_keep=num_logits,
            return_dict=True,
        )
        return outputs.logits[:, -num_logits:, :]


__all__ = ["DecodePlan", "LeanDecoding"]
