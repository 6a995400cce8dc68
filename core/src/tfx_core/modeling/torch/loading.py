"""Loading a checkpoint into a `PreTrainedModel`: dtype, config, and weight assignment.

The model is built with its parameters on the meta device (no memory, no random init; see
`meta_init`), then each tensor is assigned straight from the memory-mapped checkpoint (no copy
when the dtype already matches); only parameters the checkpoint lacks are allocated and
initialised. Buffers are built for real during construction, so non-persistent ones (e.g.
BERT's `position_ids` arange) are correct without being in the file. Every load returns a
`LoadReport` of what was missing, unexpected or mismatched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tfx_core.config import PretrainedConfig
from tfx_core.device_map import single_device
from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import finish_loading, load_config, snapshot_folder
from tfx_core.modeling.torch.adapters.files import adapter_base_model
from tfx_core.modeling.torch.meta_init import gc_paused, meta_parameters
from tfx_core.weights import LoadReport, RenameRules, align_prefix, open_checkpoint

#: Old checkpoints name LayerNorm parameters gamma/beta; the reference renames them on load.
LEGACY_RENAMES = RenameRules(
    [(r"LayerNorm\.gamma$", "LayerNorm.weight"), (r"LayerNorm\.beta$", "LayerNorm.bias")]
)

_DTYPES = {
    "float32": torch.float32,
    "float": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "half": torch.float16,
    "fp16": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float64": torch.float64,
}
_SAFE_DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
}


def resolve_dtype(dtype: Any, config: PretrainedConfig, reader: Any = None) -> torch.dtype:
    """A torch dtype from `dtype=`: a torch dtype, a name, None (float32) or "auto".

    "auto" takes the config's `dtype` / `torch_dtype`, else the checkpoint's first floating
    tensor's dtype, else float32 (the reference's rule).
    """
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).removeprefix("torch.")
    if name == "auto":
        if config.dtype and config.dtype != "auto":
            name = config.dtype
        else:
            return _checkpoint_dtype(reader)
    if name not in _DTYPES:
        raise ConfigError(
            f"Unsupported dtype {dtype!r}: use torch.float32, torch.float16, torch.bfloat16 "
            "(or their names) or 'auto' (the checkpoint's own dtype)."
        )
    return _DTYPES[name]


def _checkpoint_dtype(reader: Any) -> torch.dtype:
    if reader is not None:
        keys = reader.keys()  # a reader is not iterable itself
        for key in keys:
            stored = _SAFE_DTYPES.get(str(reader.dtype(key)).upper())
            if stored is not None:
                return stored
    return torch.float32


def _split_key(key: str) -> tuple[str, str]:
    module, _, name = key.rpartition(".")
    return module, name


def _assign(modules: dict[str, nn.Module], key: str, value: torch.Tensor) -> None:
    """Replace the parameter or buffer `key` by `value` (no copy: `value` may be memory-mapped)."""
    module_name, name = _split_key(key)
    module = modules[module_name]
    if name in module._parameters:
        old = module._parameters[name]
        module._parameters[name] = nn.Parameter(value, requires_grad=old.requires_grad)
    else:
        module._buffers[name] = value


def _matches(key: str, patterns: list[str]) -> bool:
    return any(re.search(pattern, key) for pattern in patterns)


class LoadingMixin:
    """`from_pretrained` and the weight assignment behind it (mixed into `PreTrainedModel`)."""

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        torch_dtype: Any = None,
        device: str | torch.device | None = None,
        device_map: Any = None,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        strict: bool = False,
        allow_pickle: bool = False,
        attn_implementation: str | None = None,
        output_loading_info: bool = False,
        **config_overrides: Any,
    ) -> Any:
        """Load a checkpoint folder or Hub id; `model.load_report` says what matched.

        Keyword arguments naming config fields (e.g. `num_labels=3`) override the config.
        `dtype` is a torch dtype, its name, or "auto" (the checkpoint's); `torch_dtype` is the
        reference's older name for it. `strict=True` raises `LoadError` on any missing,
        unexpected or mismatched weight. Pickle weights load only with `allow_pickle=True`
        (then with `weights_only=True`). `device_map` is read as `device` when it names one
        device ("cuda", 0, "auto", or a dict whose values are all the same device). The model is returned in eval mode, like the
        reference's; `output_loading_info=True` returns `(model, report)`.
        """
        if device_map is not None:
            if device is not None:
                raise ConfigError("Pass device= or device_map=, not both: both say where it goes.")
            device = single_device(device_map)
        folder = snapshot_folder(
            path_or_id, allow_pickle, revision, local_files_only, cache_dir, token
        )
        base = adapter_base_model(folder)
        if base is not None:  # an adapter folder: its base model, then the adapter (as PEFT)
            options = dict(config=config, dtype=dtype, torch_dtype=torch_dtype, device=device)
            options.update(local_files_only=local_files_only, cache_dir=cache_dir, token=token)
            options.update(strict=strict, allow_pickle=allow_pickle)
            options.update(attn_implementation=attn_implementation, output_loading_info=True)
            model, report = cls.from_pretrained(base, **options, **config_overrides)
            model.load_adapter(folder)
            return (model, report) if output_loading_info else model
        config = cls._load_config(folder, config, config_overrides)
        config.name_or_path = str(path_or_id)  # as the reference: where the weights came from
        if attn_implementation is not None:
            config.attn_implementation = attn_implementation
            config.validate()
        target_device = torch.device(device) if device is not None else torch.device("cpu")

        with gc_paused(), meta_parameters():
            model = cls(config)
        with gc_paused(), open_checkpoint(folder, allow_pickle=allow_pickle) as reader:
            target_dtype = resolve_dtype(
                dtype if dtype is not None else torch_dtype, config, reader
            )
            report = model._load_from_reader(reader, target_dtype, target_device)
        model._after_load(folder)
        model.load_report = report
        model.eval()
        finish_loading(report, strict, path_or_id, cls.__name__)  # never silently random
        return (model, report) if output_loading_info else model

    @classmethod
    def _load_config(
        cls, folder: Path, config: PretrainedConfig | None, overrides: dict[str, Any]
    ) -> PretrainedConfig:
        return load_config(cls, folder, config, overrides)

    def _after_load(self, folder: Path) -> None:
        """Hook for mixins to read extra files after loading (e.g. generation_config.json)."""

    # ------------------------------------------------------------ loading
    def _load_from_reader(
        self, reader: Any, dtype: torch.dtype, device: torch.device
    ) -> LoadReport:
        """Assign every checkpoint tensor to its parameter; initialise the rest; tie."""
        aliases = set(self._tied_pairs())
        targets = {
            key: tensor
            for key, tensor in self.state_dict(keep_vars=True).items()
            if key not in aliases
        }
        checkpoint_keys = reader.keys()
        original = {self.load_rename_rules.apply(key): key for key in checkpoint_keys}
        mapping = align_prefix(original, targets, self.base_model_prefix)
        report = LoadReport()
        modules = dict(self.named_modules(remove_duplicate=False))  # get_submodule is slow
        loaded: set[str] = set()
        used: set[str] = set()
        for model_key, renamed_key in mapping.items():
            checkpoint_key = original[renamed_key]
            used.add(checkpoint_key)
            target = targets[model_key]
            shape = tuple(reader.shape(checkpoint_key))
            if shape != tuple(target.shape):
                report.mismatched.append((model_key, shape, tuple(target.shape)))
                continue
            value = reader.get(checkpoint_key, framework="pt")
            cast = dtype if target.is_floating_point() else target.dtype
            _assign(modules, model_key, value.to(device=device, dtype=cast))
            loaded.add(model_key)

        uninitialised = [key for key in targets if key not in loaded]
        self._materialize(modules, uninitialised, dtype, device)
        self._move_buffers(dtype, device)
        self.tie_weights()

        mismatched = {key for key, _, _ in report.mismatched}
        for key in uninitialised:
            if key in mismatched:
                continue
            ignored = _matches(key, self.ignore_missing_keys)
            (report.ignored_missing if ignored else report.missing).append(key)
        for key in checkpoint_keys:
            if key in used or self._is_alias_key(self.load_rename_rules.apply(key), aliases):
                continue
            ignored = _matches(key, self.ignore_unexpected_keys)
            (report.ignored_unexpected if ignored else report.unexpected).append(key)
        return report

    def _is_alias_key(self, key: str, aliases: set[str]) -> bool:
        """True when a checkpoint key is a tied copy (with or without the base prefix)."""
        prefix = self.base_model_prefix + "." if self.base_model_prefix else ""
        if key in aliases or (prefix and prefix + key in aliases):
            return True
        return bool(prefix) and key.startswith(prefix) and key[len(prefix) :] in aliases

    def _materialize(
        self,
        modules: dict[str, nn.Module],
        keys: list[str],
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        """Allocate and initialise only what the checkpoint lacked; keep loaded neighbours."""
        by_module: dict[str, list[str]] = {}
        for key in keys:
            module_name, name = _split_key(key)
            by_module.setdefault(module_name, []).append(name)
        for module_name, names in by_module.items():
            module = modules[module_name]
            keep = {  # _init_weights works per module: save loaded siblings, restore after
                n: t.detach().clone()
                for n, t in module.named_parameters(recurse=False)
                if n not in names and t.device.type != "meta"
            }
            for name in names:
                old = module._parameters.get(name)
                if old is None:  # a persistent buffer the checkpoint lacks
                    buffer = module._buffers[name]
                    if buffer.device.type == "meta":
                        module._buffers[name] = torch.zeros_like(buffer, device=device)
                    continue
                cast = dtype if old.is_floating_point() else old.dtype
                fresh = torch.zeros(old.shape, dtype=cast, device=device)
                module._parameters[name] = nn.Parameter(fresh, requires_grad=old.requires_grad)
            with torch.no_grad():
                self._init_weights(module)
                for name, tensor in keep.items():
                    module._parameters[name].copy_(tensor)

    def _move_buffers(self, dtype: torch.dtype, device: torch.device) -> None:
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is None:
                    continue
                cast = dtype if buffer.is_floating_point() else buffer.dtype
                if buffer.device != device or buffer.dtype != cast:
                    module._buffers[name] = buffer.to(device=device, dtype=cast)
