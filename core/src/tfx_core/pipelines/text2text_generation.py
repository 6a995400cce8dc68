"""`text2text-generation`, `summarization`, `translation`: text in, text out, through an
encoder-decoder model's `generate`.

Each input gives `num_return_sequences` records, `{"generated_text": ...}` (`summary_text`,
`translation_text`), or the token ids with `return_tensors=True` (`generated_token_ids`, ...);
a list of inputs gives one record per input (a list per input when there are several). As in the
reference, the pipeline generates with `max_new_tokens=256, num_beams=4` unless the checkpoint's
generation config says otherwise, and a config's `prefix` and `task_specific_params[task]`
(T5's "summarize: ", "translate English to German: ", lengths, beams) apply. Translation reads
the languages from the task name (`translation_en_to_de`) or `src_lang` / `tgt_lang`; tokenizers
with language codes (mBART, M2M100, ...) encode in the source language and force the target
language's code as the first generated token. Any `generate` keyword passes through.
"""

from __future__ import annotations

import copy
import logging
import warnings
from typing import Any, ClassVar

from tfx_core.errors import PipelineError
from tfx_core.pipelines.base import Pipeline

logger = logging.getLogger("tfx_core.pipelines")

#: The reference's pipeline defaults, used where the checkpoint's generation config is silent.
PIPELINE_GENERATION_DEFAULTS = {"max_new_tokens": 256, "num_beams": 4}
#: The global default of `max_length`: a different value means the checkpoint chose a length.
_DEFAULT_MAX_LENGTH = 20
RETURN_TYPES = ("text", "tensors")


class Text2TextGenerationPipeline(Pipeline):
    """Generate a text from a text with a seq2seq model (`pipe("question: ... context: ...")`)."""

    task = "text2text-generation"
    #: Output keys are `{return_name}_text` and `{return_name}_token_ids`.
    return_name: ClassVar[str] = "generated"
    model_input_pads = {"input_ids": None, "attention_mask": 0}

    def __init__(self, model: Any, tokenizer: Any = None, **kwargs: Any) -> None:
        task = kwargs.get("task") or type(self).task
        config = kwargs.get("config") or getattr(model, "config", None)
        _require_encoder_decoder(model, config, task)
        task = kwargs["task"] = self._resolve_task(task, config)
        self.generation_config, self.prefix = _pipeline_generation_config(model, config, task)
        super().__init__(model, tokenizer, **kwargs)
        pad = self.encoder.ids["pad"]
        if self.generation_config.pad_token_id is None and pad is not None:
            self.generation_config.pad_token_id = pad

    def _resolve_task(self, task: str, config: Any) -> str:
        return task

    # ------------------------------------------------------------------ options
    def _sanitize_parameters(
        self,
        return_tensors: bool | None = None,
        return_text: bool | None = None,
        return_type: Any = None,
        clean_up_tokenization_spaces: bool | None = None,
        truncation: bool | str | None = None,
        stop_sequence: str | None = None,
        **generate_kwargs: Any,
    ) -> tuple[dict, dict, dict]:
        pre: dict[str, Any] = {}
        if truncation is not None:
            pre["truncation"] = truncation
        post: dict[str, Any] = {}
        if return_tensors is not None and return_type is None:
            return_type = "tensors" if return_tensors else "text"
        if return_type is not None:
            return_type = str(getattr(return_type, "name", return_type)).lower()
            if return_type not in RETURN_TYPES:
                raise PipelineError(
                    f"return_type must be one of {', '.join(RETURN_TYPES)}, got {return_type!r}."
                )
            post["return_type"] = return_type
        if clean_up_tokenization_spaces is not None:
            post["clean_up_tokenization_spaces"] = clean_up_tokenization_spaces
        if stop_sequence is not None:
            (encoding,) = self.encoder.encode([stop_sequence], add_special_tokens=False)[0]
            if not encoding.ids:
                raise PipelineError(f"stop_sequence {stop_sequence!r} encodes to no token.")
            if len(encoding.ids) > 1:
                warnings.warn(
                    f"stop_sequence {stop_sequence!r} is several tokens: generation stops on its "
                    "first token, as the reference does.",
                    stacklevel=3,
                )
            generate_kwargs["eos_token_id"] = encoding.ids[0]
        return pre, generate_kwargs, post

    # --------------------------------------------------------------- preprocess
    def preprocess_batch(
        self, items: list[Any], truncation: bool | str = False, **options: Any
    ) -> list[list[dict]]:
        texts = [self._text(item) for item in items]
        encoded = self.encoder.encode(texts, add_special_tokens=True, truncation=truncation)
        return [
            [{"input_ids": list(first.ids), "attention_mask": list(first.attention_mask)}]
            for first, *_ in encoded
        ]

    def _text(self, item: Any) -> str:
        if not isinstance(item, str):
            raise PipelineError(
                f"The {self.task} pipeline takes strings (or a list of strings), got "
                f"{type(item).__name__}: {item!r}."
            )
        return (self.prefix or "") + item

    def _check_length(self, length: int) -> None:
        limit = _encoder_limit(self.config)
        if limit is not None and length > limit:
            raise PipelineError(
                f"An input is {length} tokens long but this model's encoder reads at most "
                f"{limit}. Shorten it, or let the pipeline truncate it (truncation=True)."
            )

    # ------------------------------------------------------------------ forward
    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        input_ids = model_inputs["input_ids"]
        rows, length = input_ids.shape
        config = generate_kwargs.pop("generation_config", None) or self.generation_config
        self.check_inputs(
            length,
            generate_kwargs.get("min_length", config.min_length),
            generate_kwargs.get("max_length", config.max_length),
        )
        output = self.model.generate(
            input_ids=input_ids,
            attention_mask=model_inputs.get("attention_mask"),
            generation_config=config,
            **generate_kwargs,
        )
        sequences = getattr(output, "sequences", output)
        return {"output_ids": sequences.reshape(rows, -1, *sequences.shape[1:])}

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        """Warn about requests that look wrong for the task (nothing for plain text2text)."""

    # -------------------------------------------------------------- postprocess
    def postprocess(
        self,
        chunks: list[dict],
        return_type: str = "text",
        clean_up_tokenization_spaces: bool = False,
    ) -> list[dict]:
        records = []
        for output_ids in chunks[0]["output_ids"]:
            if return_type == "tensors":
                records.append({f"{self.return_name}_token_ids": output_ids})
                continue
            text = self.encoder.decode(
                output_ids.tolist(),
                skip_special_tokens=True,
                clean_up_tokenization_spaces=clean_up_tokenization_spaces,
            )
            records.append({f"{self.return_name}_text": text})
        return records

    def _wrap_list(self, results: list, inputs: Any, post: dict) -> Any:
        if all(len(result) == 1 for result in results):
            return [result[0] for result in results]
        return results


class SummarizationPipeline(Text2TextGenerationPipeline):
    """Summarize documents (`summary_text`)."""

    task = "summarization"
    return_name = "summary"

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        if max_length is not None and min_length is not None and max_length < min_length:
            logger.warning("min_length=%s is larger than max_length=%s.", min_length, max_length)
        if max_length is not None and input_length < max_length:
            logger.warning(
                "max_length is %s but the input is only %s tokens; summaries are usually shorter "
                "than their input: consider a smaller max_length (e.g. %s).",
                max_length,
                input_length,
                input_length // 2,
            )


class TranslationPipeline(Text2TextGenerationPipeline):
    """Translate texts (`translation_text`); `translation_xx_to_yy` or `src_lang`/`tgt_lang`."""

    task = "translation"
    return_name = "translation"

    def _resolve_task(self, task: str, config: Any) -> str:
        """Plain "translation" on a checkpoint with `translation_*` task params uses the first."""
        params = getattr(config, "task_specific_params", None) or {}
        if task == "translation":
            for key in params:
                if key.startswith("translation"):
                    warnings.warn(
                        f'"translation" task was used, instead of "translation_XX_to_YY", '
                        f'defaulting to "{key}"',
                        UserWarning,
                        stacklevel=4,
                    )
                    return key
        return task

    def _sanitize_parameters(
        self, src_lang: str | None = None, tgt_lang: str | None = None, **options: Any
    ) -> tuple[dict, dict, dict]:
        pre, forward, post = super()._sanitize_parameters(**options)
        if src_lang is not None:
            pre["src_lang"] = src_lang
        if tgt_lang is not None:
            pre["tgt_lang"] = tgt_lang
        if src_lang is None and tgt_lang is None:
            languages = translation_languages(self.task)
            if languages is not None:
                pre["src_lang"], pre["tgt_lang"] = languages
        return pre, forward, post

    def preprocess_batch(
        self,
        items: list[Any],
        truncation: bool | str = False,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
    ) -> list[list[dict]]:
        build = getattr(self.tokenizer, "_build_translation_inputs", None)
        if build is None:  # one language pair (T5, Marian): the text (with its prefix) alone
            return super().preprocess_batch(items, truncation=truncation)
        if src_lang is None or tgt_lang is None:
            raise PipelineError(
                f"Translation with {type(self.tokenizer).__name__} needs the source and the "
                "target language codes: pass src_lang= and tgt_lang= (e.g. src_lang='en_XX', "
                "tgt_lang='ro_RO'), or use a task named translation_xx_to_yy."
            )
        features = []
        for item in items:
            inputs = build(
                self._text(item), src_lang=src_lang, tgt_lang=tgt_lang, truncation=truncation
            )
            ids = _flat(inputs["input_ids"])
            mask = _flat(inputs.get("attention_mask")) or [1] * len(ids)
            forced = inputs.get("forced_bos_token_id")
            features.append(
                [{"input_ids": ids, "attention_mask": mask, "forced_bos_token_id": forced}]
            )
        return features

    def _forward(self, model_inputs: dict[str, Any], **generate_kwargs: Any) -> dict[str, Any]:
        forced = model_inputs.pop("forced_bos_token_id", None)
        if forced is not None:
            generate_kwargs.setdefault("forced_bos_token_id", forced)
        return super()._forward(model_inputs, **generate_kwargs)

    def _collate(self, features: list[dict]) -> dict[str, Any]:
        batch = super()._collate(features)
        forced = features[0].get("forced_bos_token_id")
        if forced is not None:
            batch["forced_bos_token_id"] = int(forced)
        return batch

    def check_inputs(self, input_length: int, min_length: int, max_length: int) -> None:
        if max_length is not None and input_length > 0.9 * max_length:
            logger.warning(
                "The input is %s tokens, more than 0.9 * max_length (%s): consider a larger "
                "max_length (e.g. translator('...', max_length=400)).",
                input_length,
                max_length,
            )


def translation_languages(task: str) -> tuple[str, str] | None:
    """`("en", "fr")` for "translation_en_to_fr"; None for any other task name."""
    parts = task.split("_")
    if len(parts) == 4 and parts[0] == "translation" and parts[2] == "to":
        return parts[1], parts[3]
    return None


# ----------------------------------------------------------------------- helpers
def _require_encoder_decoder(model: Any, config: Any, task: str) -> None:
    if config is not None and getattr(config, "is_encoder_decoder", False):
        return
    kind = getattr(config, "model_type", None) or type(model).__name__
    raise PipelineError(
        f"The {task} pipeline needs an encoder-decoder (seq2seq) model such as BART or T5, but "
        f"got a {kind} model ({type(model).__name__}), which only continues its input. Use a "
        "seq2seq checkpoint (AutoModelForSeq2SeqLM), or the text-generation pipeline for "
        "decoder-only models."
    )


def _encoder_limit(config: Any) -> int | None:
    """The longest input the encoder takes (learned positions), or None (e.g. T5's relative)."""
    for owner in (config, getattr(config, "encoder", None)):
        limit = getattr(owner, "max_position_embeddings", None)
        if isinstance(limit, int) and not isinstance(limit, bool):
            return limit
    return None


def _flat(values: Any) -> list[int] | None:
    if values is None:
        return None
    if hasattr(values, "tolist"):
        values = values.tolist()
    if values and isinstance(values[0], list):
        (values,) = values
    return [int(v) for v in values]


def _pipeline_generation_config(model: Any, config: Any, task: str) -> tuple[Any, str | None]:
    """The generation config the pipeline passes to `generate`, and the input prefix.

    The reference's order: the pipeline defaults; the checkpoint's generation config wherever a
    default is still at its global value; `max_length` chosen by the checkpoint beats the
    pipeline's `max_new_tokens`; then `task_specific_params[task]` (its `prefix` included).
    """
    from tfx_core.generation import GenerationConfig

    generation = GenerationConfig(**PIPELINE_GENERATION_DEFAULTS)
    defaults = GenerationConfig()
    own = getattr(model, "generation_config", None)
    for key, value in getattr(own, "__dict__", {}).items():
        if key.startswith("_") or key == "transformers_version":
            continue
        default = getattr(defaults, key, None)
        if getattr(generation, key, None) == default and value != default:
            setattr(generation, key, copy.deepcopy(value))
    max_length = generation.max_length
    if (
        generation.max_new_tokens == PIPELINE_GENERATION_DEFAULTS["max_new_tokens"]
        and max_length is not None
        and max_length != _DEFAULT_MAX_LENGTH
    ):
        generation.max_new_tokens = None
    prefix = getattr(config, "prefix", None)
    params = (getattr(config, "task_specific_params", None) or {}).get(task)
    if params:
        params = dict(params)
        prefix = params.pop("prefix", prefix)
        generation.update(**params)
    return generation, prefix


__all__ = [
    "SummarizationPipeline",
    "Text2TextGenerationPipeline",
    "TranslationPipeline",
    "translation_languages",
]
