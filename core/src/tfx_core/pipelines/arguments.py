"""The reference's `pipeline()` arguments that tfx maps onto its own: processors, `token`,
`device_map`, `model_kwargs`, `pipeline_class`, `use_fast`, `trust_remote_code`.

- `processor` (a combined processor) lends its `tokenizer`, `image_processor` and
  `feature_extractor` to the arguments not given.
- `device_map`: tfx places a model on one device. A single device (`"cpu"`, `"cuda:0"`, an
  int, a `torch.device`, or a dict that maps every module to the same device) works like
  `device=`; `"auto"` picks that one device (the first GPU if there is one, else the CPU).
  A map over several devices is refused here, before anything is loaded.
- `model_kwargs` go to the model's `from_pretrained` (`dtype` / `torch_dtype` and
  `device_map` in it are read as the arguments of the same name).
- `use_fast`: tfx tokenizers are always the fast (Rust) kind, so it changes nothing.
- `trust_remote_code=True` is refused: tfx never runs code shipped with a checkpoint.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tfx_core.device_map import single_device as device_map_device
from tfx_core.errors import PipelineError
from tfx_core.plugins.specs import TaskSpec


@dataclasses.dataclass
class ReferenceArguments:
    """`pipeline()` arguments resolved to what the tfx factory takes."""

    tokenizer: Any
    device: Any
    dtype: Any
    model_kwargs: dict[str, Any]


def fold_reference_arguments(
    task_kwargs: dict[str, Any],
    *,
    tokenizer: Any,
    device: Any,
    dtype: Any,
    feature_extractor: Any = None,
    image_processor: Any = None,
    processor: Any = None,
    use_fast: bool = True,
    token: Any = None,
    device_map: Any = None,
    trust_remote_code: bool | None = None,
    model_kwargs: dict[str, Any] | None = None,
) -> ReferenceArguments:
    """Check the reference's arguments and fold them into `task_kwargs` (processors, token)
    and the returned tokenizer / device / dtype / model keyword arguments."""
    if trust_remote_code:
        raise PipelineError(
            "tfx never runs code shipped with a checkpoint (trust_remote_code=True): "
            "architectures come from installed plugins. Install the plugin for this model type."
        )
    if not isinstance(use_fast, bool):
        raise PipelineError(f"use_fast must be true or false, got {use_fast!r}.")
    if model_kwargs is not None and not isinstance(model_kwargs, dict):
        raise PipelineError(f"model_kwargs must be a dict, got {type(model_kwargs).__name__}.")
    extra = dict(model_kwargs or {})
    for name in ("dtype", "torch_dtype"):
        if name in extra:
            value = extra.pop(name)
            if dtype is not None and dtype != value:
                raise PipelineError(f"dtype is given twice (dtype= and model_kwargs[{name!r}]).")
            dtype = value
    if "device_map" in extra:
        if device_map is not None:
            raise PipelineError("device_map is given twice (device_map= and model_kwargs).")
        device_map = extra.pop("device_map")
    if device_map is not None:
        if device is not None:
            raise PipelineError(
                "Pass device= or device_map=, not both: they both say where the model goes."
            )
        device = single_device(device_map)
    if processor is not None:
        tokenizer = tokenizer if tokenizer is not None else getattr(processor, "tokenizer", None)
        image_processor = image_processor or getattr(processor, "image_processor", None)
        feature_extractor = feature_extractor or getattr(processor, "feature_extractor", None)
    for name, value in (
        ("image_processor", image_processor),
        ("feature_extractor", feature_extractor),
    ):
        if value is not None:
            task_kwargs[name] = value
    if token is not None:
        task_kwargs["token"] = token
    return ReferenceArguments(tokenizer, device, dtype, extra)


def single_device(device_map: Any) -> Any:
    """The one device a `device_map` describes, or a `PipelineError` saying why not."""
    return device_map_device(device_map, PipelineError)


def with_pipeline_class(spec: TaskSpec | None, pipeline_class: Any) -> TaskSpec | None:
    """`spec` answering with `pipeline_class` (a `Pipeline` subclass) instead of its own."""
    if pipeline_class is None:
        return spec
    from tfx_core.pipelines.base import Pipeline

    if not (isinstance(pipeline_class, type) and issubclass(pipeline_class, Pipeline)):
        raise PipelineError(
            f"pipeline_class must be a subclass of tfx_core.Pipeline, got {pipeline_class!r}."
        )
    if spec is None:
        raise PipelineError(
            "pipeline_class= needs the task too: pipeline(task, pipeline_class=...)."
        )
    fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(TaskSpec)}
    return _GivenClassSpec(**fields, given=pipeline_class)


@dataclasses.dataclass(frozen=True)
class _GivenClassSpec(TaskSpec):
    given: Any = None

    def load(self) -> type:
        return self.given
