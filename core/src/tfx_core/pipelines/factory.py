"""`pipeline(task, model=...)`: resolve the task, load what is missing, check they fit.

The task comes from the plugin registry (so plugins can add tasks); the model may be a Hub id, a
local folder or a loaded model, and the head loaded is the first of the task's heads that the
checkpoint's architecture provides. With no model, the task's pinned default checkpoint is used,
and a clear error says how to pass `model=` when it cannot be had offline.
"""

from __future__ import annotations

import os
from typing import Any

from tfx_core.errors import HubError, PipelineError, PluginError
from tfx_core.pipelines.arguments import fold_reference_arguments, with_pipeline_class
from tfx_core.pipelines.tasks import resolve_task
from tfx_core.plugins import get_registry
from tfx_core.plugins.specs import TaskSpec
from tfx_core.utils.imports import import_string


def pipeline(
    task: str | None = None,
    model: Any = None,
    tokenizer: Any = None,
    config: Any = None,
    framework: str | None = None,
    device: Any = None,
    dtype: Any = None,
    batch_size: int | None = None,
    revision: str | None = None,
    local_files_only: bool | None = None,
    feature_extractor: Any = None,
    image_processor: Any = None,
    processor: Any = None,
    use_fast: bool = True,
    token: str | bool | None = None,
    device_map: Any = None,
    trust_remote_code: bool | None = None,
    model_kwargs: dict[str, Any] | None = None,
    pipeline_class: type | None = None,
    **task_kwargs: Any,
) -> Any:
    """Build the pipeline for `task` (e.g. "sentiment-analysis", "ner", "text-generation").

    `model`: a Hub id, a local folder or a loaded model (then pass `tokenizer` too unless its
    config records where it came from); None uses the task's default checkpoint. `device`: "cpu",
    "cuda:0", an int (-1 is the CPU) or a `torch.device`; `dtype`: "float16", "bfloat16",
    "float32" or a `torch.dtype`. `local_files_only=True` reads only local folders and the Hub
    cache (as `HF_HUB_OFFLINE=1` does); `cache_dir` and `token` are passed to the Hub too.
    Other keyword arguments are the task's options (`top_k=...`); the reference's other
    arguments (`device_map`, `model_kwargs`, `processor`, ...) are described in `arguments`.
    """
    given = fold_reference_arguments(
        task_kwargs,
        tokenizer=tokenizer,
        device=device,
        dtype=dtype,
        feature_extractor=feature_extractor,
        image_processor=image_processor,
        processor=processor,
        use_fast=use_fast,
        token=token,
        device_map=device_map,
        trust_remote_code=trust_remote_code,
        model_kwargs=model_kwargs,
    )
    tokenizer, device, dtype = given.tokenizer, given.device, given.dtype
    registry = get_registry()
    if task is not None and not isinstance(task, str):
        raise PipelineError(f"task must be a task name such as 'fill-mask', got {task!r}.")
    dtype = _reference_keywords(task_kwargs, dtype)
    if local_files_only not in (None, True, False):
        raise PipelineError(f"local_files_only must be true or false, got {local_files_only!r}.")
    hub_options = {"local_files_only": local_files_only} if local_files_only is not None else {}
    hub_options.update({k: task_kwargs.pop(k) for k in ("cache_dir", "token") if k in task_kwargs})
    framework = framework or "pt"
    if framework not in ("pt", "tf", "flax"):
        raise PipelineError(
            "Pipelines run PyTorch (framework='pt'), TensorFlow (framework='tf') or Flax "
            "(framework='flax') models; "
            f"framework={framework!r} is not supported."
        )
    if task is None and model is None:
        raise PipelineError(
            "pipeline() needs a task (e.g. 'text-classification') or a model to infer it from. "
            f"Known tasks: {', '.join(sorted(registry.tasks()))}."
        )
    spec = resolve_task(registry, task) if task is not None else None
    spec = with_pipeline_class(spec, pipeline_class)
    device = _parse_device(device)
    default_used = model is None
    if default_used:
        assert spec is not None
        if spec.default_model is None:
            raise PipelineError(f"The task {spec.name!r} has no default model: pass model=...")
        model, revision = spec.default_model, revision or spec.default_revision

    if isinstance(model, (str, os.PathLike)):
        try:
            return _from_checkpoint(
                spec,
                str(model),
                tokenizer,
                config,
                framework,
                device,
                dtype,
                batch_size,
                revision,
                task_kwargs,
                hub_options,
                given.model_kwargs,
            )
        except (HubError, OSError, PluginError) as exc:
            if not default_used:
                raise
            assert spec is not None
            raise PipelineError(
                f"No model was given for the task {spec.name!r}, so tfx tried its default "
                f"checkpoint {spec.default_model!r} (revision {spec.default_revision}), which "
                f"could not be loaded: {str(exc).rstrip('.')}. Pass a model you have, e.g. "
                f"pipeline({spec.name!r}, model='path/to/local/folder' or 'org/name'); to use "
                "the default, download it while online (or unset HF_HUB_OFFLINE) and install "
                "the plugin for its architecture."
            ) from exc
    return _from_loaded_model(
        spec, model, tokenizer, config, framework, device, dtype, batch_size, task_kwargs
    )


def _reference_keywords(task_kwargs: dict, dtype: Any) -> Any:
    """Keywords scripts written for the reference pass to `pipeline()`; returns the dtype."""
    torch_dtype = task_kwargs.pop("torch_dtype", None)
    if torch_dtype is not None:
        if dtype is not None:
            raise PipelineError("Pass dtype= or torch_dtype=, not both.")
        dtype = torch_dtype
    task_kwargs.pop("use_fast", None)  # tfx tokenizers are always the fast (Rust) kind
    if task_kwargs.pop("trust_remote_code", False):
        raise PipelineError(
            "tfx never runs code shipped with a checkpoint (trust_remote_code=True): "
            "architectures come from installed plugins. Install the plugin for this model type."
        )
    return dtype


# ----------------------------------------------------------------------- loading
def _from_checkpoint(
    spec: TaskSpec | None,
    model: str,
    tokenizer: Any,
    config: Any,
    framework: str,
    device: Any,
    dtype: Any,
    batch_size: int | None,
    revision: str | None,
    task_kwargs: dict,
    hub_options: dict | None = None,
    model_kwargs: dict | None = None,
) -> Any:
    from tfx_core.auto import AutoConfig, resolve_head

    hub = dict(hub_options or {})
    if revision is not None:
        hub["revision"] = revision
    if spec is None:
        config = _load_config(config or model, hub)
        spec = get_registry().task(_infer_task(model, config, resolve_head(config).head))
    pipeline_class = spec.load()
    weights_at, extra = _resolve_source(pipeline_class, model, revision)
    if config is None or isinstance(config, (str, os.PathLike)):
        config = AutoConfig.from_pretrained(str(config or weights_at), **hub)
    head = _choose_head(spec, config, model)
    model_class = resolve_head(config, head).load(framework)
    load_options: dict[str, Any] = dict(hub)
    if dtype is not None:
        load_options["dtype"] = dtype
    if device is not None:
        load_options["device"] = device
    load_options.update(model_kwargs or {})
    if framework in ("flax", "tf"):
        load_options.pop("device", None)  # JAX and TF place arrays on their default device
    loaded = model_class.from_pretrained(weights_at, config=config, **load_options)
    _check_head_weights(loaded, head, model, spec)
    loaded = _served(loaded, framework)
    loader = getattr(pipeline_class, "_load_preprocessors", None)
    if loader is not None:  # image and audio tasks load their own processors
        extra = {**extra, **loader(weights_at, tokenizer, hub, task_kwargs)}
        tokenizer = extra.pop("tokenizer", None)
    else:
        if tokenizer is None:
            tokenizer = weights_at
        tokenizer = _load_tokenizer(tokenizer, hub if tokenizer == weights_at else {})
    return pipeline_class(
        loaded,
        tokenizer,
        config=config,
        task=spec.name,
        framework=framework,
        batch_size=batch_size,
        **extra,
        **task_kwargs,
    )


def _from_loaded_model(
    spec: TaskSpec | None,
    model: Any,
    tokenizer: Any,
    config: Any,
    framework: str,
    device: Any,
    dtype: Any,
    batch_size: int | None,
    task_kwargs: dict,
) -> Any:
    config = config if config is not None else getattr(model, "config", None)
    if config is None or not getattr(config, "model_type", None):
        raise PipelineError(
            f"model= must be a Hub id, a local folder or a tfx model with a config; got "
            f"{type(model).__name__}."
        )
    head = _head_of_model(model, config)
    if spec is None:
        if head is None:
            raise PipelineError(
                f"Cannot tell which task {type(model).__name__} serves: pass the task."
            )
        spec = get_registry().task(_infer_task(None, config, head))
    if head is not None and head not in spec.heads:
        raise _head_mismatch(spec, config, type(model).__name__, [head])
    source = getattr(config, "name_or_path", None) or getattr(config, "_name_or_path", None)
    loader = getattr(spec.load(), "_load_preprocessors", None)
    extra: dict[str, Any] = {}
    if loader is not None:  # image and audio tasks load their own processors
        extra = loader(source or None, tokenizer, {}, task_kwargs)
        tokenizer = extra.pop("tokenizer", None)
    else:
        if tokenizer is None:
            if not source:
                raise PipelineError(
                    f"A loaded model was given for {spec.name!r} without a tokenizer: pass "
                    "tokenizer= (a Tokenizer, a Hub id or a local folder)."
                )
            tokenizer = source
        tokenizer = _load_tokenizer(tokenizer, {})
    if framework in ("flax", "tf"):
        model = _served(model, framework)
    elif device is not None or dtype is not None:
        _move(model, device, dtype)
    return spec.load()(
        model,
        tokenizer,
        config=config,
        task=spec.name,
        framework=framework,
        batch_size=batch_size,
        **extra,
        **task_kwargs,
    )


def _served(model: Any, framework: str) -> Any:
    """Flax models reach the (torch-batching) pipelines through a tensor bridge."""
    if framework == "tf":
        from tfx_core.modeling.keras.serving import TorchView

        return TorchView(model)
    if framework != "flax":
        return model
    from tfx_core.modeling.flax.bridge import TorchBridge

    return TorchBridge(model)


def _load_config(config: Any, hub: dict) -> Any:
    from tfx_core.auto import AutoConfig

    if isinstance(config, (str, os.PathLike)):
        return AutoConfig.from_pretrained(str(config), **hub)
    return config


def _load_tokenizer(tokenizer: Any, hub: dict) -> Any:
    if isinstance(tokenizer, (str, os.PathLike)):
        from tfx_core.auto import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(tokenizer), **hub)
    return tokenizer


def _resolve_source(pipeline_class: type, model: str, revision: str | None) -> tuple[str, dict]:
    resolve = getattr(pipeline_class, "_resolve_source", None)
    return resolve(model, revision) if resolve is not None else (model, {})


# ------------------------------------------------------------------------ heads
def _choose_head(spec: TaskSpec, config: Any, model: str) -> str:
    architecture = get_registry().architecture(config.model_type)
    provided = [head.head for head in architecture.heads]
    for name in getattr(config, "architectures", None) or []:  # the checkpoint's own head first
        own = architecture.head_for_architecture(name)
        if own is not None and own.head in spec.heads:
            return own.head
    for head in spec.heads:
        if head in provided:
            return head
    raise _head_mismatch(spec, config, model, provided)


def _head_mismatch(spec: TaskSpec, config: Any, model: str, provided: list[str]) -> PipelineError:
    architectures = ", ".join(getattr(config, "architectures", None) or []) or "unknown"
    return PipelineError(
        f"The model {model!r} (model type {config.model_type!r}, architectures: "
        f"{architectures}) cannot serve the task {spec.name!r}: the task needs a "
        f"{' or '.join(spec.heads)} head, and this model provides {', '.join(provided)}. "
        f"Use a checkpoint fine-tuned for {spec.name}."
    )


def _head_of_model(model: Any, config: Any) -> str | None:
    """The head key of a loaded model's class (or of the tfx class it subclasses)."""
    try:
        architecture = get_registry().architecture(config.model_type)
    except PluginError:
        return None
    for cls in type(model).__mro__:
        reference = f"{cls.__module__}:{cls.__qualname__}"
        for head in architecture.heads:
            if reference in head.implementations.values() or cls.__name__ == head.hf_architecture:
                return head.head
    return None


def _check_head_weights(model: Any, head: str, name: str, spec: TaskSpec) -> None:
    """A task head whose weights the checkpoint lacks would answer at random: refuse it."""
    if head == "base":
        return
    report = getattr(model, "load_report", None)
    missing = list(getattr(report, "missing", None) or [])
    prefix = getattr(model, "base_model_prefix", "") or ""
    head_missing = [key for key in missing if not (prefix and key.startswith(f"{prefix}."))]
    if head_missing:
        shown = ", ".join(head_missing[:4]) + (" ..." if len(head_missing) > 4 else "")
        raise PipelineError(
            f"The checkpoint {name!r} has no weights for the {head} head that the task "
            f"{spec.name!r} needs (missing: {shown}); it was not fine-tuned for {spec.name}. "
            "Use a checkpoint trained for this task."
        )


def _infer_task(model: str | None, config: Any, head: str) -> str:
    from tfx_core.pipelines.tasks import TASK_FOR_HEAD

    if head == "base" and model is not None and _has_sentence_layout(model):
        return "sentence-embedding"
    task = TASK_FOR_HEAD.get(head)
    if task is None:
        raise PipelineError(
            f"Cannot infer a task for a {config.model_type} model with a {head!r} head: pass "
            "the task name."
        )
    return task


def _has_sentence_layout(model: str) -> bool:
    return os.path.isfile(os.path.join(model, "modules.json"))


# ---------------------------------------------------------------- device, dtype
def _parse_device(device: Any) -> Any:
    if device is None:
        return None
    is_torch_device = type(device).__name__ == "device"
    if isinstance(device, bool) or not (isinstance(device, (int, str)) or is_torch_device):
        raise PipelineError(f"device must be a string, an int or a torch.device, got {device!r}.")
    if isinstance(device, int):
        return "cpu" if device < 0 else f"cuda:{device}"
    if isinstance(device, str):
        import torch

        try:
            torch.device(device)
        except (RuntimeError, ValueError) as exc:
            raise PipelineError(
                f"device {device!r} is not a device name: use 'cpu', 'cuda', 'cuda:0', 'mps' or "
                "an int (-1 for the CPU)."
            ) from exc
    return device


def _move(model: Any, device: Any, dtype: Any) -> None:
    import torch

    if isinstance(dtype, str):
        resolved = getattr(torch, dtype, None)
        if not isinstance(resolved, torch.dtype):
            raise PipelineError(f"Unknown dtype {dtype!r}: use float32, float16 or bfloat16.")
        dtype = resolved
    model.to(device=device, dtype=dtype)


def load_pipeline_class(reference: str) -> type:
    """Import a pipeline class named `"module:Class"` (used by task specs)."""
    return import_string(reference)
