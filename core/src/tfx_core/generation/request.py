"""The reference's `generate` arguments beyond the generation config, checked and turned into
processors and criteria for one call.

- `prefix_allowed_tokens_fn(batch_id, ids) -> allowed ids`: a `PrefixConstrainedLogitsProcessor`.
- `guidance_scale` (config) with `negative_prompt_ids` / `negative_prompt_attention_mask`:
  classifier-free guidance against a second, unconditional pass of the model
  (`UnbatchedClassifierFreeGuidanceLogitsProcessor`).
- `max_time` (config): a `MaxTimeCriteria` started when `generate` is called.
- `assistant_model` (a decoder-only model sharing the vocabulary, its `generation_config`'s
  `num_assistant_tokens`, `num_assistant_tokens_schedule`, `assistant_confidence_threshold`)
  and `prompt_lookup_num_tokens` / `max_matching_ngram_size` (config): assisted decoding
  (`tfx_core.generation.assisted`): candidates checked by the main model in one forward, the
  same greedy ids faster. One prompt, `num_beams=1`, a dynamic cache; greedy or sampling
  (speculative sampling with an assistant).
- `synced_gpus`: only meaningful for multi-process sharded decoding (DeepSpeed ZeRO-3), which
  tfx does not run; `True` is refused with that reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import torch

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig

logger = logging.getLogger("tfx_core.generation")


@dataclass
class GenerateExtras:
    """What the extra arguments of one `generate` call add to its processors and criteria."""

    guidance: Any = None
    criteria: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        model: Any,
        config: GenerationConfig,
        *,
        prefix_allowed_tokens_fn: Any = None,
        synced_gpus: bool | None = None,
        assistant_model: Any = None,
        negative_prompt_ids: torch.LongTensor | None = None,
        negative_prompt_attention_mask: torch.LongTensor | None = None,
    ) -> GenerateExtras:
        from tfx_core.generation.processors_extra import (
            UnbatchedClassifierFreeGuidanceLogitsProcessor,
        )
        from tfx_core.generation.stopping import MaxTimeCriteria

        if prefix_allowed_tokens_fn is not None and not callable(prefix_allowed_tokens_fn):
            raise GenerationError(
                "prefix_allowed_tokens_fn must be a callable(batch_id, input_ids) returning the "
                f"allowed token ids, got {prefix_allowed_tokens_fn!r}."
            )
        if synced_gpus:
            raise GenerationError(
                "synced_gpus=True keeps several processes decoding in lockstep (DeepSpeed "
                "ZeRO-3); tfx's generate runs in one process. Leave it unset."
            )
        if assistant_model is not None and not callable(getattr(assistant_model, "generate", None)):
            raise GenerationError(
                f"assistant_model must be a model with generate(), got {assistant_model!r}."
            )
        extras = cls()
        scale = config.guidance_scale
        if scale is not None and scale != 1:
            if getattr(model.config, "is_encoder_decoder", False):
                raise GenerationError(
                    "guidance_scale runs an unconditional pass of a decoder-only model; this "
                    "model is an encoder-decoder. Leave guidance_scale unset."
                )
            extras.guidance = UnbatchedClassifierFreeGuidanceLogitsProcessor(
                scale,
                model,
                unconditional_ids=_ids_or_none(negative_prompt_ids, model, "negative_prompt_ids"),
                unconditional_attention_mask=_ids_or_none(
                    negative_prompt_attention_mask, model, "negative_prompt_attention_mask"
                ),
                use_cache=config.use_cache,
            )
        elif negative_prompt_ids is not None or negative_prompt_attention_mask is not None:
            raise GenerationError(
                "negative_prompt_ids is the unconditional prompt of classifier-free guidance: "
                "set guidance_scale (> 1) too, or drop it."
            )
        if config.max_time is not None:
            extras.criteria.append(MaxTimeCriteria(float(config.max_time)))
        return extras


def _ids_or_none(value: Any, model: Any, name: str) -> torch.LongTensor | None:
    if value is None:
        return None
    if not isinstance(value, torch.Tensor) or value.dim() != 2:
        raise GenerationError(f"{name} must be a LongTensor [batch, length], got {value!r}.")
    return value.to(model.device)
