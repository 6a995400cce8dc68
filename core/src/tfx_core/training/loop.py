"""The training loop behind `Trainer.train()`: accumulation windows, DDP sync, resume.

One optimizer step consumes a window of `gradient_accumulation_steps` micro-batches (fewer at
the end of an epoch). Each micro-batch's loss is weighted by its share of the window's items
on all ranks (`tfx_core.training.loss`), so the step equals one large batch. DDP syncs
gradients only on the window's last backward (`no_sync` before). A resumed run restores model,
optimizer, scheduler, scaler, state and RNG, and starts the sampler past the samples it has seen.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import torch

from tfx_core.errors import ConfigError, LoadError
from tfx_core.training import checkpoint as ckpt
from tfx_core.training import distributed
from tfx_core.training.data import batches as epoch_batches
from tfx_core.training.lean_step import GradClipper, OptimizerStep
from tfx_core.training.loss import count_items
from tfx_core.training.schedules import step_on_metrics, steps_every_update
from tfx_core.training.state import STATE_NAME, TrainerState


class TrainOutput(NamedTuple):
    global_step: int
    training_loss: float
    metrics: dict[str, float]


def _steps(value: float, max_steps: int) -> int:
    """A `*_steps` argument: an integer, or a fraction (< 1) of the total steps."""
    return max(1, math.ceil(value * max_steps)) if 0 < value < 1 else int(value)


def load_model_weights(model: torch.nn.Module, folder: Path) -> None:
    """Load a checkpoint's safetensors into `model` (tied aliases may be absent)."""
    from tfx_core.weights import open_checkpoint

    if getattr(model, "peft_config", None):  # adapters attached: checkpoints hold only them
        model.load_adapter_weights(folder)
        return
    with open_checkpoint(folder) as reader:
        keys = list(reader.keys())
        state = {key: reader.get(key, framework="pt") for key in keys}
        missing, unexpected = model.load_state_dict(state, strict=False)
    tied = set(model._tied_pairs()) if hasattr(model, "_tied_pairs") else set()
    missing = [key for key in missing if key not in tied]
    if missing or unexpected:
        raise LoadError(
            f"Checkpoint {folder} does not match the model: missing {missing[:5]}, unexpected "
            f"{list(unexpected)[:5]}. Resume with the same model class and config."
        )
    if hasattr(model, "tie_weights"):
        model.tie_weights()


def _restore(trainer: Any, folder: Path) -> TrainerState:
    load_model_weights(trainer.model, folder)
    state = TrainerState.load_from_json(folder / STATE_NAME)
    optimizer_file = folder / ckpt.OPTIMIZER_NAME
    if not optimizer_file.is_file():
        raise ConfigError(
            f"{folder} was saved with save_only_model=True: it holds no optimizer state to "
            "resume from. Load it as a model instead."
        )
    trainer.optimizer.load_state_dict(ckpt.load_torch(optimizer_file, trainer.device))
    trainer.lr_scheduler.load_state_dict(ckpt.load_torch(folder / ckpt.SCHEDULER_NAME))
    if trainer.scaler is not None and (folder / ckpt.SCALER_NAME).is_file():
        trainer.scaler.load_state_dict(ckpt.load_torch(folder / ckpt.SCALER_NAME))
    return state


def _rng_file(folder: Path) -> Path:
    name = ckpt.rng_file_name(distributed.rank(), distributed.world_size())
    path = folder / name
    if not path.is_file():
        raise ConfigError(
            f"{folder} has no {name}: it was saved with a different number of processes. "
            "Resume with the same world size."
        )
    return path


def _wrap(trainer: Any) -> torch.nn.Module:
    if not distributed.is_distributed():
        return trainer.model
    device = trainer.device
    return torch.nn.parallel.DistributedDataParallel(
        trainer.model,
        device_ids=[device.index] if device.type == "cuda" else None,
        find_unused_parameters=bool(trainer.args.ddp_find_unused_parameters),
    )


def _grad_clearer(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """`optimizer.zero_grad(set_to_none=True)`, without its per-call profiler scope and
    param-group walk when the optimizer keeps torch's own `zero_grad`."""
    if type(optimizer).zero_grad is not torch.optim.Optimizer.zero_grad:
        return lambda: optimizer.zero_grad(set_to_none=True)
    params = [p for group in optimizer.param_groups for p in group["params"]]

    def clear() -> None:
        for param in params:
            param.grad = None

    return clear


def train_num_threads(model: torch.nn.Module, args: Any, device: torch.device) -> int:
    """Torch's CPU threads for `train()`: `args.cpu_threads` when set; else one thread for a
    model on the CPU under `SMALL_MODEL_BYTES` of parameters (as decoding does: its ops last
    microseconds, too short to amortise a parallel region, and a busy core stalls every one),
    and the current setting otherwise."""
    if args.cpu_threads is not None:
        return args.cpu_threads
    from tfx_core.generation.mixin import SMALL_MODEL_BYTES

    current = torch.get_num_threads()
    if device.type != "cpu" or current == 1:
        return current
    size = 0
    for param in model.parameters():
        size += param.numel() * param.element_size()
        if size >= SMALL_MODEL_BYTES:
            return current
    return 1


def run_training(trainer: Any, resume: Path | None) -> TrainOutput:
    args = trainer.args
    if trainer.train_dataset is None:
        raise ConfigError("train() needs a train_dataset.")
    if args.eval_strategy != "no" and trainer.eval_dataset is None:
        raise ConfigError(
            f"eval_strategy={args.eval_strategy!r} needs an eval_dataset; pass one or set "
            "eval_strategy='no'."
        )
    if args.eval_on_start and trainer.eval_dataset is None:
        raise ConfigError("eval_on_start=True needs an eval_dataset; pass one or unset it.")
    loader, sampler = trainer._loader(trainer.train_dataset, train=True)
    micro_per_epoch = len(loader)
    if micro_per_epoch == 0:
        raise ConfigError(
            "The training set gives no full batch per process (dataloader_drop_last=True with "
            "fewer examples than the batch size); lower the batch size or keep the last batch."
        )
    accumulation = args.gradient_accumulation_steps
    steps_per_epoch = math.ceil(micro_per_epoch / accumulation)
    if args.max_steps > 0:
        max_steps = args.max_steps
        num_epochs = math.ceil(max_steps / steps_per_epoch)
    else:
        max_steps = math.ceil(args.num_train_epochs * steps_per_epoch)
        num_epochs = math.ceil(args.num_train_epochs)
    if args.gradient_checkpointing:
        enable = getattr(trainer.model, "gradient_checkpointing_enable", None)
        if enable is None:
            raise ConfigError(
                f"{type(trainer.model).__name__} does not support gradient checkpointing; set "
                "gradient_checkpointing=False."
            )
        enable()
    trainer.create_optimizer_and_scheduler(max_steps)
    state = _restore(trainer, resume) if resume is not None else TrainerState()
    state.max_steps = max_steps
    state.num_train_epochs = num_epochs
    state.logging_steps = _steps(args.logging_steps, max_steps)
    state.eval_steps = _steps(args.eval_steps or args.logging_steps, max_steps)
    state.save_steps = _steps(args.save_steps, max_steps)
    state.train_batch_size = args.per_device_train_batch_size
    state.is_local_process_zero = state.is_world_process_zero = distributed.is_main_process()
    trainer.state = state
    if distributed.is_main_process():
        ckpt.remove_stale_temp_folders(args.output_dir)

    epoch, skip = 0, 0
    if resume is not None:
        skip = state.steps_in_epoch
        epoch = round(state.epoch - skip / micro_per_epoch)
        if skip >= micro_per_epoch:
            epoch, skip = epoch + 1, 0
    ddp = _wrap(trainer)
    wrapped = trainer._forward_module(ddp)  # compiled (around DDP) with torch_compile
    trainer.model_wrapped = wrapped
    model, optimizer, scheduler, scaler = (
        trainer.model,
        trainer.optimizer,
        trainer.lr_scheduler,
        trainer.scaler,
    )
    model.train()
    trained = [p for p in model.parameters() if p.requires_grad]  # listed once, not per step
    clear_grads = _grad_clearer(optimizer)
    clip = GradClipper(trained)
    optimizer_step = OptimizerStep(optimizer)
    step_scheduler = steps_every_update(scheduler)  # not a plateau: that one steps on eval metrics
    clear_grads()
    trainer.control = trainer._call("on_train_begin")
    if args.eval_on_start:  # a sanity check of the evaluation, logged at step 0, as the reference
        trainer.evaluate()
    if resume is not None:
        ckpt.restore_rng(ckpt.load_torch(_rng_file(resume)))

    world = distributed.world_size()
    device = trainer.device
    run_loss = torch.zeros((), dtype=torch.float64, device=device)  # since the last log
    total_loss, run_steps, logged_from = 0.0, 0, state.global_step
    grad_norm: torch.Tensor | None = None
    start = time.perf_counter()
    start_step = state.global_step
    stop = state.global_step >= max_steps
    while epoch < num_epochs and not stop:
        sampler.set_epoch(epoch, skip * args.per_device_train_batch_size)
        state.steps_in_epoch = skip
        trainer.control = trainer._call("on_epoch_begin")
        iterator = epoch_batches(loader)
        remaining = micro_per_epoch - skip
        skip = 0
        while remaining > 0 and not stop:
            window = min(accumulation, remaining)
            remaining -= window
            batches = [trainer._to_device(next(iterator)) for _ in range(window)]
            counts = [count_items(b, trainer.label_names, trainer._shift) for b in batches]
            total = max(1.0, distributed.sum_scalar(sum(counts), device))
            trainer.control = trainer._call("on_step_begin")
            for i, batch in enumerate(batches):
                last = i == window - 1
                no_sync = ddp.no_sync() if ddp is not model and not last else None
                with no_sync or contextlib.nullcontext():
                    with trainer._autocast():
                        loss = trainer.compute_loss(wrapped, batch)
                    share = counts[i] / total
                    factor = share * world
                    scaled = loss if factor == 1.0 else loss * factor  # no graph node for x1
                    (scaler.scale(scaled) if scaler is not None else scaled).backward()
                run_loss.add_(loss.detach(), alpha=share)  # one op, in float64
            state.steps_in_epoch += window
            if scaler is not None:
                scaler.unscale_(optimizer)
            if args.max_grad_norm and args.max_grad_norm > 0:
                grad_norm = clip(args.max_grad_norm)
            if scaler is not None:
                scaler.step(optimizer)
                scaler.update()
            else:
                optimizer_step()
            if step_scheduler:
                scheduler.step()
            clear_grads()
            state.global_step += 1
            run_steps += 1
            state.epoch = epoch + state.steps_in_epoch / micro_per_epoch
            trainer.control = trainer._call("on_step_end")
            stop = state.global_step >= max_steps or trainer.control.should_training_stop
            run_loss, logged_from, total_loss = _log_evaluate_save(
                trainer, False, run_loss, logged_from, total_loss, grad_norm
            )
            stop = stop or trainer.control.should_training_stop
        trainer.control = trainer._call("on_epoch_end")
        if remaining == 0:
            run_loss, logged_from, total_loss = _log_evaluate_save(
                trainer, True, run_loss, logged_from, total_loss, grad_norm
            )
        stop = stop or trainer.control.should_training_stop
        epoch += 1

    total_loss += distributed.sum_scalar(run_loss.item(), device)
    runtime = time.perf_counter() - start
    if args.load_best_model_at_end and state.best_model_checkpoint:
        distributed.barrier()
        load_model_weights(model, Path(state.best_model_checkpoint))
    samples = run_steps * args.per_device_train_batch_size * accumulation * world
    metrics = {
        "train_runtime": round(runtime, 4),
        "train_samples_per_second": round(samples / max(runtime, 1e-9), 3),
        "train_steps_per_second": round(run_steps / max(runtime, 1e-9), 3),
        "train_loss": total_loss / max(1, state.global_step - start_step),
    }
    trainer.log(metrics)
    trainer.control = trainer._call("on_train_end")
    return TrainOutput(state.global_step, metrics["train_loss"], metrics)


def _log_evaluate_save(
    trainer: Any,
    epoch_end: bool,
    run_loss: torch.Tensor,
    logged_from: int,
    total_loss: float,
    grad_norm: torch.Tensor | None,
) -> tuple[torch.Tensor, int, float]:
    """Decide (with the callbacks' flags) whether to log, evaluate and save at this step."""
    args, state, control = trainer.args, trainer.state, trainer.control
    step = state.global_step
    if not epoch_end:
        first = args.logging_first_step and step == 1
        if args.logging_strategy == "steps" and (step % state.logging_steps == 0 or first):
            control.should_log = True
        if args.eval_strategy == "steps" and step % state.eval_steps == 0:
            control.should_evaluate = True
        if args.save_strategy == "steps" and step % state.save_steps == 0:
            control.should_save = True
        if step >= state.max_steps and args.save_strategy == "steps":
            control.should_save = True
    else:
        control.should_log |= args.logging_strategy == "epoch"
        control.should_evaluate |= args.eval_strategy == "epoch"
        control.should_save |= args.save_strategy == "epoch"
    if control.should_log and step > logged_from:
        control.should_log = False
        window_loss = distributed.sum_scalar(run_loss.item(), trainer.device)
        total_loss += window_loss
        logs = {"loss": window_loss / (step - logged_from)}
        if grad_norm is not None:
            logs["grad_norm"] = float(grad_norm)
        logs["learning_rate"] = trainer.lr_scheduler.get_last_lr()[0]
        trainer.log(logs)
        run_loss = torch.zeros_like(run_loss)
        logged_from = step
    control.should_log = False
    metrics = None
    if control.should_evaluate:
        control.should_evaluate = False
        metrics = trainer.evaluate()
        step_on_metrics(trainer.lr_scheduler, args, metrics)
    if control.should_save:
        control.should_save = False
        trainer._save_checkpoint(metrics)
    return run_loss, logged_from, total_loss
