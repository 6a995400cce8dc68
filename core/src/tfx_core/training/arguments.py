"""`TrainingArguments`: the reference's argument names and defaults, checked on creation.

Unknown names get a `ConfigError` with the closest known name; names the reference has but tfx
does not implement (DeepSpeed, FSDP, ...) get a `ConfigError` saying so; contradictory values
(`fp16` and `bf16`, `load_best_model_at_end` with different eval/save schedules, ...) are
refused with what to change. Importing this module imports no framework.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import warnings
from dataclasses import dataclass, field
from typing import Any

from tfx_core.errors import ConfigError

STRATEGIES = ("no", "steps", "epoch")
SCHEDULERS = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
)
OPTIMIZERS = ("adamw_torch", "adamw_torch_fused", "sgd", "adagrad", "rmsprop", "adafactor")

# Reference arguments tfx knows but does not implement: refused by name rather than ignored.
UNSUPPORTED = {
    "deepspeed": "DeepSpeed",
    "fsdp": "FSDP",
    "fsdp_config": "FSDP",
    "tpu_num_cores": "TPU training",
    "auto_find_batch_size": "automatic batch size search",
    "use_liger_kernel": "Liger kernels",
}
RENAMED = {"evaluation_strategy": "eval_strategy", "no_cuda": "use_cpu"}
METRIC_EXTRAS = ("inputs", "loss")  # what `include_for_metrics` may add to `EvalPrediction`


@dataclass(init=False)
class TrainingArguments:
    """What a training run does; names and defaults follow the reference's `TrainingArguments`.

    Differences on purpose: `report_to` defaults to `"none"`; `training_args.json` (not a
    pickle) is written into checkpoints.
    """

    output_dir: str = "trainer_output"
    overwrite_output_dir: bool = False
    do_train: bool = False
    do_eval: bool = False
    do_predict: bool = False
    eval_strategy: str = "no"
    per_device_train_batch_size: int = 8
    per_device_eval_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    eval_accumulation_steps: int | None = None
    learning_rate: float = 5e-5
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    num_train_epochs: float = 3.0
    max_steps: int = -1
    lr_scheduler_type: str = "linear"
    lr_scheduler_kwargs: dict[str, Any] = field(default_factory=dict)
    warmup_ratio: float = 0.0
    warmup_steps: int = 0
    logging_dir: str | None = None
    logging_strategy: str = "steps"
    logging_first_step: bool = False
    logging_steps: float = 500
    save_strategy: str = "steps"
    save_steps: float = 500
    save_total_limit: int | None = None
    save_safetensors: bool = True
    save_only_model: bool = False
    use_cpu: bool = False
    seed: int = 42
    data_seed: int | None = None
    bf16: bool = False
    fp16: bool = False
    local_rank: int = -1
    ddp_backend: str | None = None
    ddp_find_unused_parameters: bool | None = None
    dataloader_drop_last: bool = False
    group_by_length: bool = False
    length_column_name: str = "length"
    eval_steps: float | None = None
    dataloader_num_workers: int = 0
    dataloader_pin_memory: bool = True
    run_name: str | None = None
    disable_tqdm: bool | None = None
    remove_unused_columns: bool = True
    label_names: list[str] | None = None
    load_best_model_at_end: bool = False
    metric_for_best_model: str | None = None
    greater_is_better: bool | None = None
    optim: str = "adamw_torch_fused"
    optim_args: str | None = None  # the reference passes it to none of OPTIMIZERS: refused
    adafactor: bool = False  # deprecated (as the reference): optim="adafactor"
    report_to: str | list[str] = "none"
    gradient_checkpointing: bool = False
    push_to_hub: bool = False
    hub_model_id: str | None = None
    hub_token: str | None = None
    hub_private_repo: bool | None = None
    resume_from_checkpoint: str | None = None
    prediction_loss_only: bool = False
    label_smoothing_factor: float = 0.0
    torch_compile: bool = False
    torch_compile_backend: str | None = None
    torch_compile_mode: str | None = None
    include_inputs_for_metrics: bool = False  # deprecated (as the reference): ["inputs"]
    include_for_metrics: list[str] = field(default_factory=list)
    batch_eval_metrics: bool = False
    eval_on_start: bool = False
    neftune_noise_alpha: float | None = None
    cpu_threads: int | None = None  # tfx: torch's CPU threads during train(); see loop.py

    def __init__(self, output_dir: str | os.PathLike | None = None, **kwargs: Any) -> None:
        _reject_unknown(type(self), kwargs)
        for item in dataclasses.fields(self):
            if item.name == "output_dir":
                continue
            if item.name in kwargs:
                value = kwargs[item.name]
            elif item.default_factory is not dataclasses.MISSING:
                value = item.default_factory()
            else:
                value = item.default
            setattr(self, item.name, value)
        self.output_dir = os.fspath(output_dir) if output_dir is not None else "trainer_output"
        self.__post_init__()

    def __post_init__(self) -> None:
        for name in ("eval_strategy", "logging_strategy", "save_strategy"):
            _choice(name, str(getattr(self, name)).lower(), STRATEGIES)
            setattr(self, name, str(getattr(self, name)).lower())
        _choice("lr_scheduler_type", self.lr_scheduler_type, SCHEDULERS)
        _choice("optim", self.optim, OPTIMIZERS)
        self._check_optimizer_and_schedule()
        self.report_to = _reporters(self.report_to)
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size"):
            _positive(name, getattr(self, name))
        _positive("gradient_accumulation_steps", self.gradient_accumulation_steps)
        if not isinstance(self.group_by_length, bool):
            raise ConfigError(
                f"group_by_length must be True or False, got {self.group_by_length!r}."
            )
        if not isinstance(self.length_column_name, str) or not self.length_column_name:
            raise ConfigError(
                f"length_column_name must be a column name (a non-empty string), got "
                f"{self.length_column_name!r}."
            )
        if self.max_steps <= 0 and self.num_train_epochs <= 0:
            raise ConfigError(
                "Nothing to train: max_steps <= 0 and num_train_epochs <= 0. Set one of them."
            )
        if not 0.0 <= self.warmup_ratio <= 1.0:
            raise ConfigError(f"warmup_ratio must be in [0, 1], got {self.warmup_ratio}.")
        if self.warmup_steps < 0 or self.learning_rate < 0 or self.weight_decay < 0:
            raise ConfigError("warmup_steps, learning_rate and weight_decay must be >= 0.")
        if not 0.0 <= self.label_smoothing_factor < 1.0:
            raise ConfigError(
                f"label_smoothing_factor must be in [0, 1), got {self.label_smoothing_factor}."
            )
        if self.cpu_threads is not None and (
            isinstance(self.cpu_threads, bool)
            or not isinstance(self.cpu_threads, int)
            or self.cpu_threads < 1
        ):
            raise ConfigError(
                f"cpu_threads must be a positive integer or None (automatic), got "
                f"{self.cpu_threads!r}."
            )
        self._check_compile()
        self._check_evaluation_options()
        if self.fp16 and self.bf16:
            raise ConfigError("fp16 and bf16 are both set: choose one mixed-precision mode.")
        if self.eval_steps is None and self.eval_strategy == "steps":
            self.eval_steps = self.logging_steps
        for name in ("logging_steps", "save_steps", "eval_steps"):
            value = getattr(self, name)
            strategy = getattr(self, name.replace("_steps", "_strategy"))
            if strategy == "steps" and (value is None or value <= 0):
                raise ConfigError(f"{name} must be > 0 when its strategy is 'steps', got {value}.")
        if self.save_total_limit is not None and self.save_total_limit < 1:
            raise ConfigError("save_total_limit must be >= 1 (or None to keep every checkpoint).")
        self._check_best_model()
        if self.push_to_hub and self.hub_model_id is None:
            self.hub_model_id = os.path.basename(os.path.normpath(self.output_dir))
        if self.logging_dir is None:
            self.logging_dir = os.path.join(self.output_dir, "logs")

    def _check_compile(self) -> None:
        """As the reference: a backend or mode implies `torch_compile`; the backend defaults to
        inductor. Names are checked against torch when the Trainer compiles the model."""
        if not isinstance(self.torch_compile, bool):
            raise ConfigError(f"torch_compile must be True or False, got {self.torch_compile!r}.")
        for name, what in (("torch_compile_backend", "backend"), ("torch_compile_mode", "mode")):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    f"{name} must be a torch.compile {what} name (a non-empty string) or None, "
                    f"got {value!r}."
                )
        if self.torch_compile_backend is not None or self.torch_compile_mode is not None:
            self.torch_compile = True
        if self.torch_compile and self.torch_compile_backend is None:
            self.torch_compile_backend = "inductor"

    def _check_evaluation_options(self) -> None:
        """`include_for_metrics` (with the deprecated `include_inputs_for_metrics` adding
        "inputs", as the reference), `eval_accumulation_steps` and `neftune_noise_alpha`."""
        extras = self.include_for_metrics
        if isinstance(extras, str) or not isinstance(extras, list | tuple):
            raise ConfigError(
                f"include_for_metrics must be a list drawn from {list(METRIC_EXTRAS)}, got "
                f"{extras!r}; e.g. include_for_metrics=['inputs']."
            )
        unknown = [name for name in extras if name not in METRIC_EXTRAS]
        if unknown:
            raise ConfigError(
                f"include_for_metrics: {unknown} not among {list(METRIC_EXTRAS)} (what "
                "EvalPrediction can carry besides predictions and labels)."
            )
        self.include_for_metrics = list(extras)
        if self.include_inputs_for_metrics:
            warnings.warn(
                "include_inputs_for_metrics is deprecated; use include_for_metrics=['inputs'].",
                FutureWarning,
                stacklevel=3,
            )
            if "inputs" not in self.include_for_metrics:
                self.include_for_metrics.append("inputs")
        steps = self.eval_accumulation_steps
        if steps is not None:
            _positive("eval_accumulation_steps", steps)
        alpha = self.neftune_noise_alpha
        if alpha is not None and (
            isinstance(alpha, bool) or not isinstance(alpha, int | float) or alpha < 0
        ):
            raise ConfigError(
                f"neftune_noise_alpha must be a number >= 0 (the paper uses 5 to 15) or None, "
                f"got {alpha!r}."
            )

    def _check_optimizer_and_schedule(self) -> None:
        """`adafactor=True` means optim="adafactor" (deprecated, as the reference); `optim_args`
        is refused (the reference ignores it for every optimizer tfx builds);
        `lr_scheduler_kwargs` checked for the type; the plateau schedule needs evaluations."""
        from tfx_core.training.schedules import check_scheduler_kwargs  # imports no framework

        if self.adafactor:
            warnings.warn(
                "adafactor=True is deprecated; use optim='adafactor'.", FutureWarning, stacklevel=4
            )
            self.optim = "adafactor"
        if self.optim_args:
            raise ConfigError(
                f"optim_args={self.optim_args!r}: optim={self.optim!r} takes no optim_args (the "
                "reference ignores them for it too); remove them, or build the optimizer "
                "yourself and pass Trainer(optimizers=(optimizer, None))."
            )
        self.lr_scheduler_kwargs = check_scheduler_kwargs(
            self.lr_scheduler_type, self.lr_scheduler_kwargs
        )
        if self.lr_scheduler_type == "reduce_lr_on_plateau" and self.eval_strategy == "no":
            raise ConfigError(
                "lr_scheduler_type='reduce_lr_on_plateau' lowers the learning rate when an "
                "evaluation metric stops improving: set eval_strategy to 'steps' or 'epoch' (and "
                "pass an eval_dataset)."
            )

    def _check_best_model(self) -> None:
        plateau = self.lr_scheduler_type == "reduce_lr_on_plateau"
        if self.metric_for_best_model is None and (self.load_best_model_at_end or plateau):
            self.metric_for_best_model = "loss"
        if self.greater_is_better is None and self.metric_for_best_model is not None:
            metric = self.metric_for_best_model.removeprefix("eval_")
            self.greater_is_better = metric not in ("loss",) and not metric.endswith("_loss")
        if not self.load_best_model_at_end:
            return
        if self.eval_strategy == "no":
            raise ConfigError(
                "load_best_model_at_end needs evaluations: set eval_strategy to 'steps' or 'epoch'."
            )
        if self.save_strategy != self.eval_strategy:
            raise ConfigError(
                "load_best_model_at_end needs save_strategy == eval_strategy (got "
                f"{self.save_strategy!r} and {self.eval_strategy!r}), so every evaluated model "
                "has a checkpoint."
            )
        if self.eval_strategy == "steps" and self.save_steps % self.eval_steps != 0:
            raise ConfigError(
                f"load_best_model_at_end needs save_steps ({self.save_steps}) to be a multiple "
                f"of eval_steps ({self.eval_steps})."
            )

    # ------------------------------------------------------------ derived values
    @property
    def world_size(self) -> int:
        return int(os.environ.get("WORLD_SIZE", "1"))

    @property
    def process_index(self) -> int:
        return int(os.environ.get("RANK", "0"))

    @property
    def train_batch_size(self) -> int:
        return self.per_device_train_batch_size

    @property
    def eval_batch_size(self) -> int:
        return self.per_device_eval_batch_size

    def get_warmup_steps(self, num_training_steps: int) -> int:
        """Warmup steps: `warmup_steps` when set, else `ceil(warmup_ratio * total)`."""
        if self.warmup_steps > 0:
            return self.warmup_steps
        return int(-(-self.warmup_ratio * num_training_steps // 1))

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            out[item.name] = "<redacted>" if item.name == "hub_token" and value else value
        return out

    def to_json_string(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


def _reject_unknown(cls: type, kwargs: dict[str, Any]) -> None:
    known = {item.name for item in dataclasses.fields(cls)}
    for name in kwargs:
        if name in known:
            continue
        if name in RENAMED:
            raise ConfigError(f"TrainingArguments: {name!r} is now called {RENAMED[name]!r}.")
        if name in UNSUPPORTED:
            raise ConfigError(
                f"TrainingArguments: {name!r} ({UNSUPPORTED[name]}) is not supported by tfx; "
                "remove it."
            )
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"TrainingArguments got an unknown argument {name!r}.{hint}")


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(allowed)}.")


def _positive(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}.")


def _reporters(value: str | list[str] | None) -> list[str]:
    names = [value] if isinstance(value, str) or value is None else list(value)
    names = [str(name) for name in names if name not in (None, "none")]
    if names and names != ["all"]:
        raise ConfigError(
            f"report_to={value!r}: tfx writes its own text and JSONL logs (see logging_dir) and "
            "ships no tracker integrations; use 'none' or add a TrainerCallback whose on_log "
            "forwards the metrics."
        )
    return []
