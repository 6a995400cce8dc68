"""Callbacks: the reference's event names, early stopping, a tqdm bar and text / JSONL logs.

A callback overrides any of `on_init_end`, `on_train_begin`, `on_train_end`, `on_epoch_begin`,
`on_epoch_end`, `on_step_begin`, `on_step_end`, `on_evaluate`, `on_predict`, `on_save`,
`on_log`, `on_prediction_step`; each gets `(args, state, control, **kwargs)` and may set flags
on `control` (or return a `TrainerControl`).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from tfx_core.errors import ConfigError
from tfx_core.training.arguments import TrainingArguments
from tfx_core.training.state import TrainerControl, TrainerState

EVENTS = (
    "on_init_end",
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_step_begin",
    "on_step_end",
    "on_evaluate",
    "on_predict",
    "on_save",
    "on_log",
    "on_prediction_step",
)


class TrainerCallback:
    """Base class: every event is a no-op."""

    def _noop(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        return None

    on_init_end = on_train_begin = on_train_end = _noop
    on_epoch_begin = on_epoch_end = on_step_begin = on_step_end = _noop
    on_evaluate = on_predict = on_save = on_log = on_prediction_step = _noop


_NOOP = TrainerCallback._noop


class CallbackHandler:
    """Calls each callback in order for an event and merges the control flags they set."""

    def __init__(self, callbacks: list[Any]) -> None:
        self.callbacks: list[Any] = []
        for callback in callbacks:
            self.add_callback(callback)

    def add_callback(self, callback: Any) -> None:
        instance = callback() if isinstance(callback, type) else callback
        if not any(hasattr(instance, event) for event in EVENTS):
            raise ConfigError(
                f"{type(instance).__name__} is not a callback: it defines none of {EVENTS}."
            )
        self.callbacks.append(instance)

    def pop_callback(self, callback: Any) -> Any:
        for item in self.callbacks:
            if item is callback or (isinstance(callback, type) and isinstance(item, callback)):
                self.callbacks.remove(item)
                return item
        return None

    def call(
        self,
        event: str,
        args: TrainingArguments,
        state: TrainerState,
        control: TrainerControl,
        **kwargs: Any,
    ) -> TrainerControl:
        for callback in self.callbacks:
            method = getattr(callback, event, None)
            if method is None or getattr(method, "__func__", None) is _NOOP:
                continue  # the base class's no-op: nothing to call
            result = method(args, state, control, **kwargs)
            if isinstance(result, TrainerControl):
                control = result
        return control


class EarlyStoppingCallback(TrainerCallback):
    """Stop when `metric_for_best_model` has not improved by more than `threshold` for
    `early_stopping_patience` evaluations in a row."""

    def __init__(self, early_stopping_patience: int = 1, early_stopping_threshold: float = 0.0):
        self.patience = early_stopping_patience
        self.threshold = early_stopping_threshold
        self.best: float | None = None
        self.bad_evaluations = 0

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control, **kwargs):
        if args.metric_for_best_model is None:
            raise ConfigError(
                "EarlyStoppingCallback needs metric_for_best_model (e.g. 'eval_loss') in "
                "TrainingArguments."
            )
        if args.eval_strategy == "no":
            raise ConfigError("EarlyStoppingCallback needs eval_strategy 'steps' or 'epoch'.")

    def on_evaluate(self, args: TrainingArguments, state, control, metrics=None, **kwargs):
        name = args.metric_for_best_model
        key = name if name.startswith("eval_") else f"eval_{name}"
        if not metrics or key not in metrics:
            raise ConfigError(
                f"EarlyStoppingCallback: metric {key!r} is not among the evaluation metrics "
                f"{sorted(metrics or {})}."
            )
        value = float(metrics[key])
        sign = 1.0 if args.greater_is_better else -1.0
        if self.best is None or sign * (value - self.best) > self.threshold:
            self.best = value
            self.bad_evaluations = 0
        else:
            self.bad_evaluations += 1
        if self.bad_evaluations >= self.patience:
            control.should_training_stop = True


class ProgressCallback(TrainerCallback):
    """A tqdm progress bar over optimizer steps (main process only)."""

    def __init__(self) -> None:
        self.bar: Any = None

    def on_train_begin(self, args, state: TrainerState, control, **kwargs):
        if state.is_world_process_zero:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=state.max_steps, initial=state.global_step, dynamic_ncols=True)

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.update(state.global_step - self.bar.n)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs:
            shown = {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in logs.items()}
            self.bar.set_postfix(shown, refresh=False)

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class LogFileCallback(TrainerCallback):
    """Append every log to `logging_dir/log.txt` (one readable line) and `log.jsonl`."""

    def on_log(self, args: TrainingArguments, state: TrainerState, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        folder = Path(args.logging_dir)
        folder.mkdir(parents=True, exist_ok=True)
        record = {"step": state.global_step, "epoch": round(state.epoch, 4), **logs}
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in record.items()
        }
        with open(folder / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(clean) + "\n")
        text = "  ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()
        )
        with open(folder / "log.txt", "a", encoding="utf-8") as handle:
            handle.write(text + os.linesep)


def default_callbacks(args: TrainingArguments) -> list[TrainerCallback]:
    """Logs to files always; a progress bar unless `disable_tqdm`."""
    callbacks: list[TrainerCallback] = [LogFileCallback()]
    if not args.disable_tqdm:
        callbacks.append(ProgressCallback())
    return callbacks
