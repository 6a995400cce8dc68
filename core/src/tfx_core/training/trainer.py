"""`Trainer`: the training loop, evaluation, prediction, checkpoints and resume.

    trainer = Trainer(model, TrainingArguments("out", num_train_epochs=2), train_dataset=train,
                      eval_dataset=dev, processing_class=tokenizer, compute_metrics=accuracy)
    trainer.train(); trainer.evaluate(); trainer.save_model()

Under `torchrun` every process runs the same script: the model is wrapped in DDP, each rank
reads its shard, gradients sync once per accumulation window, evaluation results are gathered
in dataset order, and only rank 0 writes files.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.training import checkpoint as ckpt
from tfx_core.training import distributed
from tfx_core.training.arguments import TrainingArguments
from tfx_core.training.callbacks import CallbackHandler, default_callbacks
from tfx_core.training.collators import DataCollatorWithPadding, default_data_collator
from tfx_core.training.data import (
    ColumnFilter,
    EpochSampler,
    check_dataset,
    make_loader,
    model_input_names,
)
from tfx_core.training.evaluation import EvalPrediction, PredictionOutput
from tfx_core.training.lean_step import unpooled_state_dict
from tfx_core.training.loss import label_smoothed_loss, shifts_labels
from tfx_core.training.neftune import neftune
from tfx_core.training.optim import create_optimizer, create_scheduler
from tfx_core.training.prediction import check_metrics_function, run_prediction
from tfx_core.training.state import STATE_NAME, TrainerControl, TrainerState

_NOT_PREDICTIONS = ("loss", "past_key_values", "hidden_states", "attentions")


def compile_module(module: nn.Module, args: TrainingArguments) -> nn.Module:
    """`torch.compile(module)` with the arguments' backend and mode; unknown names get a
    `ConfigError`. Compiling happens at the first call; the wrapper shares `module`'s weights.
    Inductor on CPU without a mode gets `fallback_random` (this wrapper only): dropout draws on
    torch's RNG, as eager, instead of inductor's slower generated CPU RNG."""
    from torch._dynamo.exc import InvalidBackend

    options = None
    if (
        args.torch_compile_backend == "inductor"
        and args.torch_compile_mode is None
        and all(p.device.type == "cpu" for p in module.parameters())
    ):
        options = {"fallback_random": True}
    try:
        return torch.compile(
            module,
            backend=args.torch_compile_backend,
            mode=args.torch_compile_mode,
            options=options,
        )
    except InvalidBackend as error:
        raise ConfigError(
            f"torch_compile_backend={args.torch_compile_backend!r} is not a torch.compile "
            f"backend: {error}"
        ) from error
    except RuntimeError as error:  # torch refuses an unknown mode when the wrapper is built
        if args.torch_compile_mode is None or "mode" not in str(error):
            raise
        raise ConfigError(f"torch_compile_mode={args.torch_compile_mode!r}: {error}") from error


def set_seed(seed: int) -> None:
    """Seed Python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """Fine-tune a PyTorch model; the reference `Trainer`'s constructor and methods."""

    def __init__(
        self,
        model: nn.Module | None = None,
        args: TrainingArguments | None = None,
        data_collator: Callable | None = None,
        train_dataset: Any = None,
        eval_dataset: Any = None,
        processing_class: Any = None,
        model_init: Callable[[], nn.Module] | None = None,
        compute_metrics: Callable[[EvalPrediction], dict[str, float]] | None = None,
        callbacks: list[Any] | None = None,
        optimizers: tuple[Any, Any] = (None, None),
        preprocess_logits_for_metrics: Callable | None = None,
        tokenizer: Any = None,
    ) -> None:
        self.args = args if args is not None else TrainingArguments()
        self.device = distributed.setup(self.args.ddp_backend, self.args.use_cpu)
        set_seed(self.args.seed)
        if model is None and model_init is not None:
            model = model_init()
        if model is None:
            raise ConfigError("Trainer needs a model (or a model_init function).")
        if self.args.fp16 and self.device.type != "cuda":
            raise ConfigError("fp16 mixed precision needs a CUDA GPU; use bf16=True on CPU.")
        self.model = model.to(self.device)
        self.processing_class = processing_class if processing_class is not None else tokenizer
        self.data_collator = data_collator or self._default_collator()
        self.train_dataset = train_dataset
        self.eval_dataset = eval_dataset
        check_metrics_function(self.args, compute_metrics)
        self.compute_metrics = compute_metrics
        self.preprocess_logits_for_metrics = preprocess_logits_for_metrics
        self.optimizer, self.lr_scheduler = optimizers
        self.label_names = self.args.label_names or self._default_label_names()
        self.callback_handler = CallbackHandler(
            default_callbacks(self.args) + list(callbacks or [])
        )
        self.state = TrainerState(
            is_local_process_zero=distributed.is_main_process(),
            is_world_process_zero=distributed.is_main_process(),
        )
        self.control = TrainerControl()
        self.scaler = torch.amp.GradScaler("cuda") if self.args.fp16 else None
        self.model_wrapped: nn.Module = self.model
        self._compiled: tuple[nn.Module, nn.Module] | None = None
        self._forward_module(self.model)  # with torch_compile: bad backend or mode fail here
        self._shift = shifts_labels(self.model)
        self.control = self._call("on_init_end")

    # ------------------------------------------------------------------ helpers
    @property
    def tokenizer(self) -> Any:
        return self.processing_class

    def add_callback(self, callback: Any) -> None:
        self.callback_handler.add_callback(callback)

    def pop_callback(self, callback: Any) -> Any:
        return self.callback_handler.pop_callback(callback)

    def _call(self, event: str, **kwargs: Any) -> TrainerControl:
        return self.callback_handler.call(
            event,
            self.args,
            self.state,
            self.control,
            model=self.model,
            processing_class=self.processing_class,
            optimizer=self.optimizer,
            lr_scheduler=self.lr_scheduler,
            **kwargs,
        )

    def _forward_module(self, module: nn.Module) -> nn.Module:
        """What runs forward in training and evaluation: `module`, or with `torch_compile` its
        compiled wrapper (one per module). Saving, the optimizer and callbacks keep `self.model`,
        so state-dict keys never get the wrapper's `_orig_mod.` prefix."""
        if not self.args.torch_compile:
            return module
        if self._compiled is None or self._compiled[0] is not module:
            self._compiled = (module, compile_module(module, self.args))
        return self._compiled[1]

    def _default_collator(self) -> Callable:
        tokenizer = self.processing_class
        if tokenizer is not None and getattr(tokenizer, "pad_token_id", None) is not None:
            return DataCollatorWithPadding(tokenizer)
        return default_data_collator

    def _default_label_names(self) -> list[str]:
        names = model_input_names(self.model) or set()
        if "start_positions" in names:
            return ["start_positions", "end_positions"]
        return ["labels"]

    def _collate_fn(self) -> Callable:
        if not self.args.remove_unused_columns:
            return self.data_collator
        return ColumnFilter(self.data_collator, model_input_names(self.model), self.label_names)

    def _loader(self, dataset: Any, *, train: bool) -> tuple[torch.utils.data.DataLoader, Any]:
        check_dataset(dataset, "training" if train else "evaluation")
        args = self.args
        seed = args.data_seed if args.data_seed is not None else args.seed
        world, rank = distributed.world_size(), distributed.rank()
        if train and args.group_by_length:  # evaluation stays in dataset order
            from tfx_core.training.length_grouping import train_sampler

            sampler = train_sampler(
                dataset, args, self.processing_class, seed=seed, num_replicas=world, rank=rank
            )
        else:
            sampler = EpochSampler(
                len(dataset), shuffle=train, seed=seed, num_replicas=world, rank=rank, pad=train
            )
        loader = make_loader(
            dataset,
            sampler,
            args.per_device_train_batch_size if train else args.per_device_eval_batch_size,
            self._collate_fn(),
            drop_last=args.dataloader_drop_last if train else False,
            num_workers=args.dataloader_num_workers,
            pin_memory=args.dataloader_pin_memory and self.device.type == "cuda",
            seed=seed,
        )
        return loader, sampler

    def _to_device(self, batch: Any) -> Any:
        if self.device.type == "cpu":
            return batch  # the loader's tensors are already on the CPU
        if isinstance(batch, dict):
            return {k: self._to_device(v) for k, v in batch.items()}
        if isinstance(batch, torch.Tensor):
            return batch.to(self.device, non_blocking=True)
        return batch

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.args.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        if self.args.fp16:
            return torch.autocast(self.device.type, dtype=torch.float16)
        return contextlib.nullcontext()

    # ------------------------------------------------------------------ loss
    def compute_loss(
        self, model: nn.Module, inputs: dict[str, Any], return_outputs: bool = False, **kwargs: Any
    ) -> Any:
        """The model's mean loss over `inputs` (override for a custom loss); with
        `label_smoothing_factor`, the smoothed loss of the model's logits."""
        factor = self.args.label_smoothing_factor
        if factor and "labels" in inputs:
            inputs = dict(inputs)
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = label_smoothed_loss(outputs["logits"], labels, factor, self._shift)
            return (loss, outputs) if return_outputs else loss
        outputs = model(**inputs)
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs[0]
        if loss is None:
            raise ConfigError(
                f"The model returned no loss: the batch has keys {sorted(inputs)}, but the "
                f"model computes a loss only from its label arguments ({self.label_names}). "
                "Add labels to the dataset, set label_names, or override compute_loss."
            )
        return (loss, outputs) if return_outputs else loss

    # ------------------------------------------------------------------ training
    def train(self, resume_from_checkpoint: str | bool | None = None, **kwargs: Any) -> Any:
        """Train for `max_steps` (or `num_train_epochs`); returns `TrainOutput`-like metrics."""
        if kwargs:
            raise ConfigError(f"train() got unexpected arguments {sorted(kwargs)}.")
        from tfx_core.training.loop import run_training, train_num_threads

        resume = resume_from_checkpoint
        if resume is None:
            resume = self.args.resume_from_checkpoint
        resume_path = ckpt.resolve_resume(resume, self.args.output_dir)
        threads = train_num_threads(self.model, self.args, self.device)
        previous = torch.get_num_threads()
        if threads != previous:
            torch.set_num_threads(threads)
        try:
            with neftune(self.model, self.args.neftune_noise_alpha):
                return run_training(self, resume_path)
        finally:
            if threads != previous:
                torch.set_num_threads(previous)

    def create_optimizer_and_scheduler(self, num_training_steps: int) -> None:
        if self.optimizer is None:
            self.optimizer = create_optimizer(self.model, self.args)
        if self.lr_scheduler is None:
            self.lr_scheduler = create_scheduler(self.optimizer, self.args, num_training_steps)

    # ------------------------------------------------------------------ logging and saving
    def log(self, logs: dict[str, float]) -> None:
        entry = {**logs, "epoch": round(self.state.epoch, 4), "step": self.state.global_step}
        self.state.log_history.append(entry)
        self.control = self._call("on_log", logs=logs)

    def _save_checkpoint(self, metrics: dict[str, float] | None) -> Path:
        """Write `checkpoint-<step>` all or nothing (rank 0), then rotate old checkpoints."""
        from tfx_core.weights import atomic_directory

        args = self.args
        output = Path(args.output_dir)
        target = output / f"{ckpt.PREFIX}-{self.state.global_step}"
        self._update_best(metrics, target)
        rng_states = distributed.gather_objects(ckpt.capture_rng())
        if distributed.is_main_process():
            with atomic_directory(target) as tmp:
                self._write_model(tmp)
                if not args.save_only_model:
                    torch.save(unpooled_state_dict(self.optimizer), tmp / ckpt.OPTIMIZER_NAME)
                    torch.save(self.lr_scheduler.state_dict(), tmp / ckpt.SCHEDULER_NAME)
                    if self.scaler is not None:
                        torch.save(self.scaler.state_dict(), tmp / ckpt.SCALER_NAME)
                    world = len(rng_states)
                    for rank, state in enumerate(rng_states):
                        torch.save(state, tmp / ckpt.rng_file_name(rank, world))
                self.state.save_to_json(tmp / STATE_NAME)
            best = self.state.best_model_checkpoint
            ckpt.rotate(output, args.save_total_limit, Path(best) if best else None)
        distributed.barrier()
        self.control = self._call("on_save")
        return target

    def _update_best(self, metrics: dict[str, float] | None, target: Path) -> None:
        name = self.args.metric_for_best_model
        if not metrics or name is None:
            return
        key = name if name.startswith("eval_") else f"eval_{name}"
        if key not in metrics:
            raise ConfigError(
                f"metric_for_best_model={name!r}: {key!r} is not among the evaluation metrics "
                f"{sorted(metrics)}."
            )
        value = float(metrics[key])
        best = self.state.best_metric
        if best is None or (value > best if self.args.greater_is_better else value < best):
            self.state.best_metric = value
            self.state.best_global_step = self.state.global_step
            self.state.best_model_checkpoint = str(target)

    def _write_model(self, folder: Path) -> None:
        model = self.model
        if not hasattr(model, "save_pretrained"):
            raise ConfigError(
                f"{type(model).__name__} has no save_pretrained(); Trainer saves tfx / "
                "PreTrainedModel models."
            )
        model.save_pretrained(folder)
        if self.processing_class is not None and hasattr(self.processing_class, "save_pretrained"):
            self.processing_class.save_pretrained(folder)
        (folder / ckpt.ARGS_NAME).write_text(self.args.to_json_string() + "\n", encoding="utf-8")

    def save_model(self, output_dir: str | None = None) -> Path:
        """Save the model (and tokenizer) for `from_pretrained`, all or nothing, on rank 0."""
        from tfx_core.weights import atomic_directory

        target = Path(output_dir or self.args.output_dir)
        if distributed.is_main_process():
            with atomic_directory(target) as tmp:
                self._write_model(tmp)
        distributed.barrier()
        return target

    def push_to_hub(self, commit_message: str = "End of training", **kwargs: Any) -> str | None:
        """Save to `output_dir` and upload it to `hub_model_id`; returns the commit URL."""
        from tfx_core.hub import push_to_hub

        folder = self.save_model()
        if not distributed.is_main_process():
            return None
        repo_id = self.args.hub_model_id or folder.name
        return push_to_hub(
            folder,
            repo_id,
            token=self.args.hub_token,
            private=self.args.hub_private_repo,
            commit_message=commit_message,
            **kwargs,
        )

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        eval_dataset: Any = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> dict[str, float]:
        """Loss and `compute_metrics` on the evaluation set, logged and returned."""
        dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        if dataset is None:
            raise ConfigError("evaluate() needs an eval_dataset (in Trainer(...) or here).")
        output = run_prediction(self, dataset, ignore_keys, metric_key_prefix, predicting=False)
        self.log(output.metrics)
        self.control = self._call("on_evaluate", metrics=output.metrics)
        return output.metrics

    def predict(
        self, test_dataset: Any, ignore_keys: list[str] | None = None, metric_key_prefix="test"
    ) -> PredictionOutput:
        """Predictions, labels and metrics for `test_dataset`, in dataset order."""
        output = run_prediction(self, test_dataset, ignore_keys, metric_key_prefix, predicting=True)
        self.control = self._call("on_predict", metrics=output.metrics)
        return output

    def prediction_step(
        self, model: nn.Module, inputs: dict[str, Any], prediction_loss_only: bool, ignore_keys=None
    ) -> tuple[torch.Tensor | None, Any, Any]:
        """(loss, predictions, labels) for one batch, without gradients."""
        has_labels = all(inputs.get(name) is not None for name in self.label_names)
        with torch.no_grad(), self._autocast():
            if has_labels and self.args.label_smoothing_factor:
                loss, outputs = self.compute_loss(model, inputs, return_outputs=True)
            else:
                outputs = model(**inputs)
                loss = None
                if has_labels:
                    loss = outputs.get("loss") if isinstance(outputs, dict) else outputs[0]
        if prediction_loss_only:
            return loss, None, None
        ignore = set(_NOT_PREDICTIONS) | set(ignore_keys or ())
        ignore |= set(getattr(getattr(model, "config", None), "keys_to_ignore_at_inference", ()))
        if isinstance(outputs, dict):
            values = [v for k, v in outputs.items() if k not in ignore and v is not None]
        else:
            values = list(outputs[1:] if has_labels else outputs)
        predictions = values[0] if len(values) == 1 else tuple(values)
        labels = None
        if has_labels:
            found = [inputs[name] for name in self.label_names]
            labels = found[0] if len(found) == 1 else tuple(found)
        return loss, predictions, labels

    def save_state(self) -> None:
        if distributed.is_main_process():
            path = Path(self.args.output_dir) / STATE_NAME
            path.parent.mkdir(parents=True, exist_ok=True)
            self.state.save_to_json(path)

    def log_metrics(self, split: str, metrics: dict[str, float]) -> None:
        if distributed.is_main_process():
            print(f"***** {split} metrics *****")
            for key in sorted(metrics):
                print(f"  {key} = {metrics[key]}")

    def save_metrics(self, split: str, metrics: dict[str, float]) -> None:
        if distributed.is_main_process():
            path = Path(self.args.output_dir) / f"{split}_results.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
