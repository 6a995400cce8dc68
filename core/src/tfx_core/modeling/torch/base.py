"""`PreTrainedModel`: the PyTorch base every architecture's modules derive from.

Loading builds the model with its parameters on the meta device (no memory, no random init),
then assigns each tensor from the memory-mapped checkpoint, cast to the requested dtype; only
parameters the checkpoint lacks are allocated and initialised. Saving writes an HF-compatible
folder atomically, with tied weights stored once.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core import hub
from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.weights import (
    LoadReport,
    RenameRules,
    align_prefix,
    atomic_directory,
    open_checkpoint,
    save_state_dict,
)

_SKIP_INIT: contextvars.ContextVar[bool] = contextvars.ContextVar("tfx_skip_init", default=False)

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

_WEIGHT_PATTERNS = ["*.json", "*.safetensors"]


def resolve_dtype(dtype: Any, config: PretrainedConfig) -> torch.dtype:
    """A torch dtype from `dtype=` (a torch dtype, a name, or "auto" for the config's)."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    name = str(dtype).removeprefix("torch.")
    if name == "auto":
        name = config.dtype or "float32"
    if name not in _DTYPES:
        raise ConfigError(
            f"Unsupported dtype {dtype!r}: use torch.float32, torch.float16, torch.bfloat16 "
            "or 'auto' (the checkpoint's own dtype)."
        )
    return _DTYPES[name]


@contextlib.contextmanager
def meta_parameters() -> Iterator[None]:
    """Create parameters on the meta device (buffers stay real), and skip weight init."""
    original = nn.Module.register_parameter

    def register(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
        if param is not None and param.device.type != "meta":
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        original(module, name, param)

    token = _SKIP_INIT.set(True)
    nn.Module.register_parameter = register  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Module.register_parameter = original  # type: ignore[method-assign]
        _SKIP_INIT.reset(token)


def _split_key(key: str) -> tuple[str, str]:
    module, _, name = key.rpartition(".")
    return module, name


class PreTrainedModel(nn.Module):
    """Base class of tfx PyTorch models: loading, saving, weight tying, dtype and device.

    Subclasses set `config_class`, `base_model_prefix` (the attribute holding the base model in
    head classes, e.g. "bert"), `tied_weights` (alias key -> source key, tied when
    `config.tie_word_embeddings`), `shared_weights` (the same, always tied),
    `ignore_unexpected_keys` / `ignore_missing_keys` (regexes of harmless differences), and
    implement `_init_weights(module)`. Each `__init__` ends with `self.post_init()`.
    """

    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    tied_weights: ClassVar[dict[str, str]] = {}
    shared_weights: ClassVar[dict[str, str]] = {}
    ignore_unexpected_keys: ClassVar[list[str]] = []
    ignore_missing_keys: ClassVar[list[str]] = []
    load_rename_rules: ClassVar[RenameRules] = LEGACY_RENAMES

    def __init__(self, config: PretrainedConfig) -> None:
        if not isinstance(config, PretrainedConfig):
            raise ConfigError(
                f"{type(self).__name__} expects a PretrainedConfig, got {type(config).__name__}."
            )
        super().__init__()
        self.config = config
        self.load_report: LoadReport | None = None

    # ------------------------------------------------------------ init / tying
    def _init_weights(self, module: nn.Module) -> None:
        """Initialise one module's parameters (architectures override this)."""

    def post_init(self) -> None:
        """Initialise weights (unless loading) and tie them; call at the end of `__init__`."""
        if not _SKIP_INIT.get():
            self.apply(self._init_weights)
        self.tie_weights()

    def _tied_pairs(self) -> dict[str, str]:
        pairs = dict(self.shared_weights)
        if getattr(self.config, "tie_word_embeddings", True):
            pairs.update(self.tied_weights)
        return pairs

    def tie_weights(self) -> None:
        """Make each tied alias the very same Parameter as its source."""
        for alias, source in self._tied_pairs().items():
            try:
                source_param = self.get_parameter(source)
                module_name, name = _split_key(alias)
                module = self.get_submodule(module_name)
            except AttributeError:
                continue  # this class does not have that pair (e.g. a base model)
            setattr(module, name, source_param)

    def get_input_embeddings(self) -> nn.Module:
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        if base is not None and base is not self:
            return base.get_input_embeddings()
        raise NotImplementedError(f"{type(self).__name__} does not define its input embeddings.")

    def set_input_embeddings(self, value: nn.Module) -> None:
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        if base is not None and base is not self:
            base.set_input_embeddings(value)
            return
        raise NotImplementedError(f"{type(self).__name__} does not define its input embeddings.")

    def get_output_embeddings(self) -> nn.Module | None:
        return None

    # ------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        for tensor in self.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.float32

    def num_parameters(self, only_trainable: bool = False, exclude_embeddings: bool = False) -> int:
        """Parameter count, each shared parameter counted once."""
        skip = set()
        if exclude_embeddings:
            skip = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        seen: set[int] = set()
        total = 0
        for param in self.parameters():
            if id(param) in seen or id(param) in skip:
                continue
            if only_trainable and not param.requires_grad:
                continue
            seen.add(id(param))
            total += param.numel()
        return total

    # ------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: PretrainedConfig, **kwargs: Any) -> PreTrainedModel:
        """A randomly initialised model (weights initialised as for training)."""
        dtype = kwargs.pop("dtype", None)
        model = cls(config, **kwargs)
        if dtype is not None:
            model.to(resolve_dtype(dtype, config))
        return model

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        torch_dtype: Any = None,
        device: str | torch.device | None = None,
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
        `strict=True` raises `LoadError` on any missing, unexpected or mismatched weight.
        Pickle weights load only with `allow_pickle=True` (then with `weights_only=True`).
        """
        patterns = [*_WEIGHT_PATTERNS, *(["*.bin"] if allow_pickle else [])]
        folder = hub.resolve_snapshot(
            path_or_id,
            revision=revision,
            allow_patterns=patterns,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            token=token,
        )
        if config is None:
            config, unused = cls.config_class.from_pretrained(
                folder, return_unused_kwargs=True, **config_overrides
            )
            if unused:
                raise ConfigError(
                    f"Unknown arguments for {cls.__name__}.from_pretrained: "
                    f"{', '.join(sorted(unused))}."
                )
        elif config_overrides:
            config = type(config).from_dict(config.to_dict(), **config_overrides)
        if attn_implementation is not None:
            config.attn_implementation = attn_implementation
            config.validate()
        target_dtype = resolve_dtype(dtype if dtype is not None else torch_dtype, config)
        target_device = torch.device(device) if device is not None else torch.device("cpu")

        with meta_parameters():
            model = cls(config)
        with open_checkpoint(folder, allow_pickle=allow_pickle) as reader:
            report = model._load_from_reader(reader, target_dtype, target_device)
        model._after_load(folder)
        model.load_report = report
        model.eval()
        if strict:
            report.raise_if_problems()
        return (model, report) if output_loading_info else model

    def _after_load(self, folder: Path) -> None:
        """Hook for mixins (e.g. generation config) to read extra files after loading."""

    def _load_from_reader(
        self, reader: Any, dtype: torch.dtype, device: torch.device
    ) -> LoadReport:
        tied_aliases = set(self._tied_pairs())
        model_tensors = {
            key: tensor
            for key, tensor in self.state_dict(keep_vars=True).items()
            if key not in tied_aliases
        }
        checkpoint_keys = list(reader.keys())
        renamed = {self.load_rename_rules.apply(key): key for key in checkpoint_keys}
        mapping = align_prefix(renamed, model_tensors, self.base_model_prefix)
        report = LoadReport()
        for model_key, tensor in model_tensors.items():
            renamed_key = mapping.get(model_key)
            if renamed_key is None:
                continue
            checkpoint_key = renamed[renamed_key]
            shape = reader.shape(checkpoint_key)
            if tuple(shape) != tuple(tensor.shape):
                report.mismatched.append((model_key, tuple(shape), tuple(tensor.shape)))
                del mapping[model_key]
                continue
            value = reader.get(checkpoint_key, framework="pt")
            if value.is_floating_point():
                value = value.to(dtype=dtype if tensor.is_floating_point() else tensor.dtype)
            self._assign(model_key, value.to(device))
        used = {renamed[mapping[key]] for key in mapping}
        missing = [key for key in model_tensors if key not in mapping]
        unexpected = [
            key
            for key in checkpoint_keys
            if key not in used
            and self.load_rename_rules.apply(key) not in tied_aliases
            and _strip(self.load_rename_rules.apply(key), self.base_model_prefix)
            not in tied_aliases
        ]
        self._materialize_missing(missing, dtype, device)
        self._move_buffers(dtype, device)
        self.tie_weights()
        for key in missing:
            bucket = (
                report.ignored_missing
                if _matches(key, self.ignore_missing_keys)
                else report.missing
            )
            bucket.append(key)
        for key in unexpected:
            ignored = _matches(key, self.ignore_unexpected_keys)
            (report.ignored_unexpected if ignored else report.unexpected).append(key)
        return report

    def _assign(self, key: str, value: torch.Tensor) -> None:
        module_name, name = _split_key(key)
        module = self.get_submodule(module_name)
        if name in module._parameters:
            old = module._parameters[name]
            module._parameters[name] = nn.Parameter(value, requires_grad=old.requires_grad)
        else:
            module._buffers[name] = value

    def _materialize_missing(
        self, missing: list[str], dtype: torch.dtype, device: torch.device
    ) -> None:
        """Allocate and initialise only what the checkpoint lacked; keep loaded neighbours."""
        by_module: dict[str, list[str]] = {}
        for key in missing:
            module_name, name = _split_key(key)
            by_module.setdefault(module_name, []).append(name)
        for module_name, names in by_module.items():
            module = self.get_submodule(module_name)
            loaded = {
                n: t.detach().clone()
                for n, t in module.named_parameters(recurse=False)
                if n not in names and t.device.type != "meta"
            }
            for name in names:
                old = module._parameters.get(name)
                if old is None:
                    buffer = module._buffers[name]
                    if buffer.device.type == "meta":
                        module._buffers[name] = torch.zeros(
                            buffer.shape, dtype=buffer.dtype, device=device
                        )
                    continue
                fresh = torch.empty(
                    old.shape, dtype=dtype if old.is_floating_point() else old.dtype, device=device
                )
                module._parameters[name] = nn.Parameter(fresh, requires_grad=old.requires_grad)
            with torch.no_grad():
                self._init_weights(module)
                for name, tensor in loaded.items():
                    module._parameters[name].copy_(tensor)
        leftovers = [k for k, t in self.named_parameters() if t.device.type == "meta"]
        if leftovers:  # a parameter neither loaded nor reachable (should not happen)
            for key in leftovers:
                module_name, name = _split_key(key)
                module = self.get_submodule(module_name)
                old = module._parameters[name]
                module._parameters[name] = nn.Parameter(
                    torch.zeros(old.shape, dtype=dtype, device=device)
                )

    def _move_buffers(self, dtype: torch.dtype, device: torch.device) -> None:
        for module in self.modules():
            for name, buffer in list(module._buffers.items()):
                if buffer is None:
                    continue
                target = dtype if buffer.is_floating_point() else buffer.dtype
                if buffer.device != device or buffer.dtype != target:
                    module._buffers[name] = buffer.to(device=device, dtype=target)

    # ------------------------------------------------------------ saving
    def state_dict_for_save(self) -> dict[str, torch.Tensor]:
        """The state dict as the reference saves it: tied aliases dropped."""
        state = self.state_dict()
        for alias in self._tied_pairs():
            state.pop(alias, None)
        return state

    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        max_shard_size: int | str = "5GB",
        safe_serialization: bool = True,
    ) -> Path:
        """Write config.json and safetensors weights (sharded if large), atomically."""
        if not safe_serialization:
            raise ConfigError(
                "tfx saves only safetensors (pickle files can run code when loaded); "
                "drop safe_serialization=False."
            )
        target = Path(save_directory)
        config = type(self.config).from_dict(self.config.to_dict())
        config.architectures = [type(self).__name__]
        config.dtype = str(self.dtype).removeprefix("torch.")
        with atomic_directory(target) as tmp:
            config.save_pretrained(tmp)
            save_state_dict(self.state_dict_for_save(), tmp, max_shard_size=max_shard_size)
            self._save_extra_files(tmp)
        return target

    def _save_extra_files(self, folder: Path) -> None:
        """Hook for mixins to add files to a save (e.g. generation_config.json)."""


def _matches(key: str, patterns: list[str]) -> bool:
    return any(re.search(pattern, key) for pattern in patterns)


def _strip(key: str, prefix: str) -> str:
    return key[len(prefix) + 1 :] if prefix and key.startswith(prefix + ".") else key
