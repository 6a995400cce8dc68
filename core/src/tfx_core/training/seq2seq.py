"""`Seq2SeqTrainer`: evaluation and prediction by `generate()` (`predict_with_generate`).

Works with any model that has the `GenerationMixin` interface. For an encoder-decoder the
generated ids are the predictions; for a decoder-only model the prompt is cut off, so the
predictions are the continuation only. Predictions are padded with -100 across batches, like
the reference (replace -100 by the pad id before decoding).
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
        kwargs = dict(getattr(self, "_gen_kwargs", {}) or {})
        if getattr(args, "generation_max_length", None) is not None:
            kwargs.setdefault("max_length", args.generation_max_length)
        if getattr(args, "generation_num_beams", None) is not None:
            kwargs.setdefault("num_beams", args.generation_num_beams)
        if getattr(args, "generation_config", None) is not None:
            kwargs.setdefault("generation_config", args.generation_config)
        return kwargs

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
        loss = None
        labels = inputs.get("labels")
        if labels is not None and (encoder_decoder or labels.shape == inputs["input_ids"].shape):
            with torch.no_grad(), self._autocast():
                loss = model(**inputs).get("loss")
        prompt = {k: v for k, v in inputs.items() if k in ("input_ids", "attention_mask")}
        with torch.no_grad():
            generated = generate(**prompt, **self._generation_kwargs())
        if not encoder_decoder:
            generated = generated[:, prompt["input_ids"].shape[1] :]
        return loss, generated, labels
