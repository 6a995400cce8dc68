"""`Seq2SeqTrainer`: evaluation and prediction by `generate()` (`predict_with_generate`).

Works with any model that has the `GenerationMixin` interface. For an encoder-decoder the
generated ids are the predictions; for a decoder-only model the prompt is cut off, so the
predictions are the continuation only. Predictions are padded with -100 across batches, like
the reference (replace -100 by the pad id before decoding). Like the reference, each batch's
generated ids (and labels) of an encoder-decoder shorter than the model's `generation_config.max_length` (or
`max_new_tokens + 1`) are first padded to it with the pad id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.training.arguments import TrainingArguments
from tfx_core.training.trainer import Trainer


@dataclass(init=False)
class Seq2SeqTrainingArguments(TrainingArguments):
    """`TrainingArguments` plus the generation settings used at evaluation."""

    predict_with_generate: bool = False
    generation_max_length: int | None = None
    generation_num_beams: int | None = None
    generation_config: Any = None


class Seq2SeqTrainer(Trainer):
    """A `Trainer` whose evaluate / predict can run `generate()` on each batch."""

    def evaluate(self, eval_dataset: Any = None, ignore_keys=None, metric_key_prefix="eval", **gen):
        self._gen_kwargs = gen
        return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)

    def predict(self, test_dataset: Any, ignore_keys=None, metric_key_prefix="test", **gen):
        self._gen_kwargs = gen
        return super().predict(test_dataset, ignore_keys, metric_key_prefix)

    def _generation_kwargs(self) -> dict[str, Any]:
        args = self.args
        kwargs = {k: v for k, v in (getattr(self, "_gen_kwargs", None) or {}).items()}
        for name in ("max_length", "num_beams"):
            if kwargs.get(name, 0) is None:
                del kwargs[name]
        length_given = "max_length" in kwargs or "max_new_tokens" in kwargs
        if not length_given and getattr(args, "generation_max_length", None) is not None:
            kwargs["max_length"] = args.generation_max_length
        if "num_beams" not in kwargs and getattr(args, "generation_num_beams", None) is not None:
            kwargs["num_beams"] = args.generation_num_beams
        if getattr(args, "generation_config", None) is not None:
            kwargs.setdefault("generation_config", args.generation_config)
        return kwargs

    def _pad_id(self, model: nn.Module) -> int:
        tokenizer = self.processing_class
        if tokenizer is not None and hasattr(tokenizer, "pad_token_id"):
            pad = tokenizer.pad_token_id
            return pad if pad is not None else tokenizer.eos_token_id
        pad = getattr(model.config, "pad_token_id", None)
        if pad is None:
            raise ConfigError(
                "predict_with_generate pads generated ids with the pad token, but neither the "
                "processing class nor the model config has one; set config.pad_token_id."
            )
        return pad

    def _pad_to_generation_length(self, model: nn.Module, ids: torch.Tensor) -> torch.Tensor:
        """Pad `ids` on the right to the model's default generation length (the reference's
        shape: `max_length`, else `max_new_tokens + 1`)."""
        config = getattr(model, "generation_config", None)
        target = getattr(config, "max_length", None) or 0
        if ids.shape[-1] >= target:
            new_tokens = getattr(config, "max_new_tokens", None)
            target = new_tokens + 1 if new_tokens is not None else 0
        if ids.shape[-1] >= target:
            return ids
        padded = ids.new_full((ids.shape[0], target), self._pad_id(model))
        padded[:, : ids.shape[-1]] = ids
        return padded

    def prediction_step(
        self, model: nn.Module, inputs: dict[str, Any], prediction_loss_only: bool, ignore_keys=None
    ):
        if not getattr(self.args, "predict_with_generate", False) or prediction_loss_only:
            return super().prediction_step(model, inputs, prediction_loss_only, ignore_keys)
        generate = getattr(model, "generate", None)
        if generate is None:
            raise ConfigError(
                f"predict_with_generate=True but {type(model).__name__} has no generate(); use "
                "a model with a generative head (seq2seq-lm or causal-lm)."
            )
        encoder_decoder = bool(getattr(model.config, "is_encoder_decoder", False))
        prompt = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        with torch.no_grad():
            generated = generate(**prompt, **self._generation_kwargs())
        if encoder_decoder:
            generated = self._pad_to_generation_length(model, generated)
        else:
            generated = generated[:, prompt["input_ids"].shape[1] :]
        loss = None
        labels = inputs.get("labels")
        if labels is not None and (encoder_decoder or labels.shape == inputs["input_ids"].shape):
            with torch.no_grad(), self._autocast():
                loss, _ = self.compute_loss(model, inputs, return_outputs=True)
        if self.args.prediction_loss_only:
            return loss, None, None
        if labels is not None and encoder_decoder:
            labels = self._pad_to_generation_length(model, labels)
        return loss, generated, labels
