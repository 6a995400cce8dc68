"""`PreTrainedModel`: the PyTorch base every architecture's modules derive from.

Loading builds the model with its parameters on the meta device (no memory, no random init),
then assigns each tensor straight from the memory-mapped checkpoint (no copy when the dtype
already matches); only parameters the checkpoint lacks are allocated and initialised. Buffers are
built for real during construction, so non-persistent ones (e.g. BERT's `position_ids` arange)
are correct without being in the file. Saving writes an HF-compatible folder atomically, with
tied weights stored once.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core import hub
from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch.linear import Linear
from tfx_core.weights import (
    LoadReport,
    RenameRules,
    align_prefix,
    atomic_directory,
    open_checkpoint,
    save_state_dict,
)

#: Set while a model is built for loading: parameters go to the meta device, init is skipped.
_LOADING: contextvars.ContextVar[bool] = contextvars.ContextVar("tfx_loading", default=False)

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
_WEIGHT_PATTERNS = ["*.json", "*.safetensors"]


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


def _register_parameter(module: nn.Module, name: str, param: nn.Parameter | None) -> None:
    if param is not None and _LOADING.get() and param.device.type != "meta":
        param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
    _ORIGINAL_REGISTER(module, name, param)


def _skipped_while_loading(init_fn: Any) -> Any:
    """Wrap a `torch.nn.init` function so it does nothing while a model is built for loading.

    Modules initialise themselves in `__init__` (`reset_parameters`); on meta tensors that is
    wasted work, and the first random op on a meta tensor imports torch's compiler (seconds).
    """

    @functools.wraps(init_fn)
    def wrapper(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        if _LOADING.get():
            return tensor
        return init_fn(tensor, *args, **kwargs)

    return wrapper


_ORIGINAL_REGISTER = nn.Module.register_parameter
_INIT_NAMES = (
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
)
_ORIGINAL_INITS = {name: getattr(nn.init, name) for name in _INIT_NAMES}
_SKIPPING_INITS = {name: _skipped_while_loading(fn) for name, fn in _ORIGINAL_INITS.items()}
_PATCH_LOCK = threading.Lock()
_patch_depth = 0


def _install(patched: bool) -> None:
    nn.Module.register_parameter = _register_parameter if patched else _ORIGINAL_REGISTER  # type: ignore[method-assign]
    for name, fn in (_SKIPPING_INITS if patched else _ORIGINAL_INITS).items():
        setattr(nn.init, name, fn)


@contextlib.contextmanager
def meta_parameters() -> Iterator[None]:
    """Build modules with parameters on the meta device and every weight init skipped.

    Buffers stay real, so computed ones (position ids, rotary tables) are right without being
    in the checkpoint. `register_parameter` and the `torch.nn.init` functions are patched
    while any thread is inside this context; the patches check a context variable, so code
    running concurrently in other threads builds and initialises ordinary modules.
    """
    global _patch_depth
    token = _LOADING.set(True)
    with _PATCH_LOCK:
        if _patch_depth == 0:
            _install(True)
        _patch_depth += 1
    try:
        yield
    finally:
        _LOADING.reset(token)
        with _PATCH_LOCK:
            _patch_depth -= 1
            if _patch_depth == 0:
                _install(False)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a model is built and loaded.

    Building creates a few thousand objects and no garbage; in a process that has just imported
    torch that is enough to trigger a full collection over the ~200k objects of the imports
    (about 70 ms here, most of a bert-base load). The collector runs again as usual afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        """Initialise one module's own parameters: the reference's scheme by default.

        Linear and embedding weights ~ normal(0, `config.initializer_range`) (0.02 if unset),
        biases and the padding row zero, layer norms one/zero. Architectures override this
        (calling `super()._init_weights(module)`) for what is their own.
        """
        std = getattr(self.config, "initializer_range", 0.02)
        with torch.no_grad():
            if isinstance(module, nn.Linear):
                module.weight.normal_(mean=0.0, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(mean=0.0, std=std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                if module.weight is not None:
                    module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()

    def post_init(self) -> None:
        """Initialise weights (unless loading) and tie them; call at the end of `__init__`.

        Plain `nn.Linear` layers become the core `Linear` (same parameters and keys; faster
        for short inputs on CPU, identical otherwise), so plugins write ordinary PyTorch.
        """
        for module in self.modules():
            if type(module) is nn.Linear:
                module.__class__ = Linear
        if not _LOADING.get():
            self.apply(self._init_weights)
        self.tie_weights()

    # ------------------------------------------------------------ outputs
    def output_flags(
        self, output_attentions: bool | None, output_hidden_states: bool | None
    ) -> tuple[bool, bool]:
        """`output_attentions` / `output_hidden_states`, None meaning the config's choice."""
        config = self.config
        return (
            config.output_attentions if output_attentions is None else bool(output_attentions),
            config.output_hidden_states
            if output_hidden_states is None
            else bool(output_hidden_states),
        )

    def model_outputs(self, outputs: ModelOutput, return_dict: bool | None) -> Any:
        """The output object, or its tuple when `return_dict` (else the config) says so."""
        use_dict = self.config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()

    @property
    def base_model(self) -> nn.Module:
        """The base model inside a head (`self.bert`, ...), or the model itself."""
        return self._base_model() or self

    def _tied_pairs(self) -> dict[str, str]:
        """Alias key -> source key for every tie in force for this config."""
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

    def _base_model(self) -> nn.Module | None:
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        return base if isinstance(base, PreTrainedModel) and base is not self else None

    def get_input_embeddings(self) -> nn.Module:
        base = self._base_model()
        if base is not None:
            return base.get_input_embeddings()
        raise NotImplementedError(f"{type(self).__name__} does not define its input embeddings.")

    def set_input_embeddings(self, value: nn.Module) -> None:
        base = self._base_model()
        if base is None:
            raise NotImplementedError(
                f"{type(self).__name__} does not define its input embeddings."
            )
        base.set_input_embeddings(value)

    def get_output_embeddings(self) -> nn.Module | None:
        """The vocabulary projection of LM heads (tied to the input embeddings), else None."""
        return None

    def resize_token_embeddings(self, new_num_tokens: int) -> nn.Embedding:
        """Grow or shrink the vocabulary: old rows kept, new rows initialised, ties kept."""
        old = self.get_input_embeddings()
        new = nn.Embedding(
            new_num_tokens,
            old.embedding_dim,
            padding_idx=old.padding_idx if (old.padding_idx or 0) < new_num_tokens else None,
            device=old.weight.device,
            dtype=old.weight.dtype,
        )
        _init_keeping_rows(new, old, self._init_weights)
        self.set_input_embeddings(new)
        output = self.get_output_embeddings()
        if isinstance(output, nn.Linear):
            fresh = nn.Linear(
                output.in_features,
                new_num_tokens,
                bias=output.bias is not None,
                device=output.weight.device,
                dtype=output.weight.dtype,
            )
            _init_keeping_rows(fresh, output, self._init_weights)
            old_bias = output.bias
            if output.weight is not old.weight:  # untied: keep its own (resized) weights
                output.weight = fresh.weight
            if old_bias is not None:
                output.bias = fresh.bias
                self._redirect_shared(old_bias, fresh.bias)
            output.out_features = new_num_tokens
        self.config.vocab_size = new_num_tokens
        self.tie_weights()
        return new

    def _redirect_shared(self, old: nn.Parameter, new: nn.Parameter) -> None:
        """Point every `shared_weights` source that held `old` at `new` (before re-tying)."""
        for source in self.shared_weights.values():
            with contextlib.suppress(AttributeError):
                if self.get_parameter(source) is old:
                    module_name, name = _split_key(source)
                    setattr(self.get_submodule(module_name), name, new)

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
        skip: set[int] = set()
        if exclude_embeddings:
            skip = {id(m.weight) for m in self.modules() if isinstance(m, nn.Embedding)}
        total = 0
        for param in self.parameters():  # parameters() yields a shared Parameter once
            if id(param) in skip or (only_trainable and not param.requires_grad):
                continue
            total += param.numel()
        return total

    # ------------------------------------------------------------ construction
    @classmethod
    def from_config(
        cls,
        config: PretrainedConfig,
        *,
        dtype: Any = None,
        device: str | torch.device | None = None,
        attn_implementation: str | None = None,
        **kwargs: Any,
    ) -> PreTrainedModel:
        """A new model with freshly initialised weights (as for training from scratch)."""
        if attn_implementation is not None:
            config.attn_implementation = attn_implementation
            config.validate()
        model = cls(config, **kwargs)
        target = resolve_dtype(dtype, config) if dtype is not None else None
        if target is not None or device is not None:
            model.to(device=device, dtype=target)
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
        `dtype` is a torch dtype, its name, or "auto" (the checkpoint's); `torch_dtype` is the
        reference's older name for it. `strict=True` raises `LoadError` on any missing,
        unexpected or mismatched weight. Pickle weights load only with `allow_pickle=True`
        (then with `weights_only=True`). The model is returned in eval mode, like the
        reference's; `output_loading_info=True` returns `(model, report)`.
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
        config = cls._load_config(folder, config, config_overrides)
        if attn_implementation is not None:
            config.attn_implementation = attn_implementation
            config.validate()
        target_device = torch.device(device) if device is not None else torch.device("cpu")

        with _gc_paused(), meta_parameters():
            model = cls(config)
        with _gc_paused(), open_checkpoint(folder, allow_pickle=allow_pickle) as reader:
            target_dtype = resolve_dtype(
                dtype if dtype is not None else torch_dtype, config, reader
            )
            report = model._load_from_reader(reader, target_dtype, target_device)
        model._after_load(folder)
        model.load_report = report
        model.eval()
        if strict:
            report.raise_if_problems()
        else:  # say what did not load, as the reference does (never silently random weights)
            report.warn_if_problems(str(path_or_id), cls.__name__)
        return (model, report) if output_loading_info else model

    @classmethod
    def _load_config(
        cls, folder: Path, config: PretrainedConfig | None, overrides: dict[str, Any]
    ) -> PretrainedConfig:
        if config is None:
            config, unused = cls.config_class.from_pretrained(
                folder, return_unused_kwargs=True, **overrides
            )
            if unused:
                raise ConfigError(
                    f"Unknown arguments for {cls.__name__}.from_pretrained: "
                    f"{', '.join(sorted(unused))} (neither loading options nor config fields)."
                )
            return config
        if not isinstance(config, PretrainedConfig):
            raise ConfigError(f"config must be a PretrainedConfig, got {type(config).__name__}.")
        if overrides:
            config = type(config).from_dict(config.to_dict(), **overrides)
        return config

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
        """Write config.json and safetensors weights (sharded if large), all or nothing.

        `config.json` names this class in `architectures` and records the dtype, so the
        reference library (and `AutoModel`) pick the same head. Mixins add files through
        `_save_extra_files(folder)`, called inside the same atomic folder.
        """
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


def _init_keeping_rows(new: nn.Module, old: nn.Module, init: Any) -> None:
    """Initialise `new` like a fresh module, then copy the rows it shares with `old`."""
    init(new)
    with torch.no_grad():
        for name, param in new.named_parameters():
            previous = getattr(old, name, None)
            if previous is not None:
                rows = min(param.shape[0], previous.shape[0])
                param[:rows] = previous[:rows]
