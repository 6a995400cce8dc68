"""The loop behind `Trainer.evaluate()` and `Trainer.predict()`, with the reference's options.

- `prediction_loss_only`: only the loss (also `evaluate()` without `compute_metrics`).
- `eval_accumulation_steps=N`: per-batch results stay on the device and move to the CPU every
  N batches (at the end when unset); the results are the same either way.
- `include_for_metrics`: `EvalPrediction.inputs` (the model's main input, padded with -100) and
  `.losses` (each example's batch loss).
- `batch_eval_metrics`: `compute_metrics(EvalPrediction(batch tensors), compute_result=...)` per
  batch, `compute_result=True` on the last one, whose return value is the metrics; evaluation
  keeps no predictions (prediction still returns them).

Under DDP each rank runs its shard; results are gathered in dataset order at the end (per batch
with `batch_eval_metrics`, every rank taking part in as many gathers as the longest shard).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

import torch

from tfx_core.errors import ConfigError
from tfx_core.training import distributed
from tfx_core.training.data import batches as epoch_batches
from tfx_core.training.evaluation import (
    EvalPrediction,
    PredictionOutput,
    concat_batches,
    gather_in_order,
    plain_metrics,
    to_numpy,
)


def check_metrics_function(args: Any, compute_metrics: Callable | None) -> None:
    """With `batch_eval_metrics`, `compute_metrics` must take `compute_result` (as the
    reference requires)."""
    if not args.batch_eval_metrics or compute_metrics is None:
        return
    try:
        parameters = inspect.signature(compute_metrics).parameters
    except (TypeError, ValueError):
        return  # a builtin or C callable: cannot tell, let the call decide
    if "compute_result" not in parameters:
        raise ConfigError(
            "batch_eval_metrics=True calls compute_metrics once per batch: it must take a "
            "`compute_result` argument (True on the last batch, when it returns the summary "
            "metrics). Add it, or set batch_eval_metrics=False."
        )


class BatchAccumulator:
    """Per-batch results kept as tensors until `to_numpy()` moves them to the CPU as arrays;
    `result()` joins everything along the batch axis (padding with -100)."""

    def __init__(self) -> None:
        self.pending: list[Any] = []
        self.arrays: list[Any] = []

    def add(self, value: Any) -> None:
        if value is not None:
            self.pending.append(value)

    def to_numpy(self) -> None:
        self.arrays.extend(to_numpy(value) for value in self.pending)
        self.pending = []

    def result(self) -> Any:
        self.to_numpy()
        return concat_batches(self.arrays)


def _batch_size(inputs: dict[str, Any]) -> int:
    for value in inputs.values():
        if isinstance(value, torch.Tensor) and value.dim() > 0:
            return int(value.shape[0])
    return 1


def _detached(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return type(value)(_detached(v) for v in value)
    return value.detach() if isinstance(value, torch.Tensor) else value


def _gathered_tensor(value: Any, device: torch.device) -> Any:
    """One batch's value from every rank in dataset order, as tensors on `device` (the value
    itself when alone); every rank calls it, one without a batch with None."""
    if not distributed.is_distributed():
        return value
    joined = gather_in_order(to_numpy(value))
    if joined is None:
        return None
    if isinstance(joined, tuple | list):
        return type(joined)(torch.as_tensor(v, device=device) for v in joined)
    return torch.as_tensor(joined, device=device)


def _main_input(inputs: dict[str, Any], name: str) -> Any:
    if name not in inputs:
        raise ConfigError(
            f"include_for_metrics=['inputs'] keeps the model's main input {name!r}, but the "
            f"batch has only {sorted(inputs)}; add that column or drop 'inputs'."
        )
    return inputs[name]


def _num_steps(loader: Any) -> int:
    """Batches every rank iterates: the longest shard's count (rank 0 has the most)."""
    steps = len(loader)
    if distributed.is_distributed():
        steps = max(distributed.gather_objects(steps))
    return steps


def run_prediction(
    trainer: Any,
    dataset: Any,
    ignore_keys: list[str] | None,
    prefix: str,
    *,
    predicting: bool,
) -> PredictionOutput:
    """Loss, predictions, labels and metrics of `trainer.model` over `dataset`, metric names
    prefixed with `prefix_`; `predicting` is `predict()` (keeps predictions in every mode)."""
    args = trainer.args
    compute_metrics = trainer.compute_metrics
    loader, _ = trainer._loader(dataset, train=False)
    model = trainer.model
    was_training = model.training
    model.eval()
    forward = trainer._forward_module(model)  # the compiled wrapper's own flag is stale
    start = time.perf_counter()
    only_loss = args.prediction_loss_only or (compute_metrics is None and not predicting)
    extras = args.include_for_metrics
    per_batch = args.batch_eval_metrics
    keep = not per_batch or predicting  # evaluation with batched metrics holds no predictions
    main_input = getattr(model, "main_input_name", "input_ids")
    flush_every = None if per_batch else args.eval_accumulation_steps
    kept = {name: BatchAccumulator() for name in ("predictions", "labels", "inputs", "losses")}
    loss_sum, seen, had_loss = 0.0, 0, False
    metrics: Any = None
    steps = _num_steps(loader)
    iterator = epoch_batches(loader)
    for step in range(steps):
        raw = next(iterator, None)  # None: this rank's shard ended before the longest one
        loss = predictions = labels = inputs = None
        if raw is not None:
            inputs = trainer._to_device(raw)
            loss, predictions, labels = trainer.prediction_step(
                forward, inputs, only_loss, ignore_keys=ignore_keys
            )
            size = _batch_size(inputs)
            seen += size
            if loss is not None:
                loss_sum += loss.item() * size
                had_loss = True
                loss = loss.detach().reshape(()).repeat(size)  # one value per example
            if trainer.preprocess_logits_for_metrics is not None and predictions is not None:
                predictions = trainer.preprocess_logits_for_metrics(predictions, labels)
            predictions, labels = _detached(predictions), _detached(labels)
            if "inputs" in extras and keep:
                kept["inputs"].add(_main_input(inputs, main_input))
            if keep:
                kept["predictions"].add(predictions)
                kept["labels"].add(labels)
            if "loss" in extras and not per_batch:
                kept["losses"].add(loss)
            trainer.control = trainer._call("on_prediction_step")
        if per_batch and compute_metrics is not None and not only_loss:
            metrics = _batch_metrics(trainer, step == steps - 1, loss, predictions, labels, inputs)
        elif flush_every is not None and (step + 1) % flush_every == 0:
            for accumulator in kept.values():
                accumulator.to_numpy()
    if was_training:
        model.train()

    joined = {name: gather_in_order(acc.result()) for name, acc in kept.items()}
    predictions, label_ids = joined["predictions"], joined["labels"]
    total = distributed.sum_scalar(seen, trainer.device)
    with_labels = predictions is not None and label_ids is not None
    if not per_batch and compute_metrics is not None and with_labels:
        metrics = compute_metrics(
            EvalPrediction(
                predictions,
                label_ids,
                inputs=joined["inputs"] if "inputs" in extras else None,
                losses=joined["losses"] if "loss" in extras else None,
            )
        )
    metrics = plain_metrics(dict(metrics or {}))
    if distributed.sum_scalar(float(had_loss), trainer.device) > 0:
        metrics["loss"] = distributed.sum_scalar(loss_sum, trainer.device) / max(1.0, total)
    runtime = time.perf_counter() - start
    metrics["runtime"] = round(runtime, 4)
    metrics["samples_per_second"] = round(total / max(runtime, 1e-9), 3)
    metrics = {
        (k if k.startswith(f"{prefix}_") else f"{prefix}_{k}"): v for k, v in metrics.items()
    }
    return PredictionOutput(predictions, label_ids, metrics)


def _batch_metrics(
    trainer: Any,
    last: bool,
    loss: torch.Tensor | None,
    predictions: Any,
    labels: Any,
    inputs: dict[str, Any] | None,
) -> Any:
    """`compute_metrics` on one batch (gathered from every rank), as the reference calls it:
    tensors, `inputs` the whole batch, `losses` one value per example."""
    device = trainer.device
    predictions = _gathered_tensor(predictions, device)
    labels = _gathered_tensor(labels, device)
    extras = trainer.args.include_for_metrics
    losses = _gathered_tensor(loss, device) if "loss" in extras else None
    if predictions is None or labels is None:
        return None
    return trainer.compute_metrics(
        EvalPrediction(
            predictions,
            labels,
            inputs=inputs if "inputs" in extras else None,
            losses=losses,
        ),
        compute_result=last,
    )
