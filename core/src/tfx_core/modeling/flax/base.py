"""`FlaxPreTrainedModel`: loading and saving `flax.nnx` models from PyTorch-named safetensors.

Loading builds the model abstractly (`nnx.eval_shape`: shapes only, no memory, no random init),
then fills each parameter straight from the memory-mapped checkpoint as numpy (bfloat16 through
`ml_dtypes`), so a JAX user needs no torch. Only parameters the checkpoint lacks are initialised.
Saving writes the PyTorch names with `{"format": "pt"}` metadata, so the reference library and
the tfx PyTorch models load what Flax saved.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.adapter import (
    Slot,
    checkpoint_shape,
    checkpoint_slots,
    from_checkpoint,
    state_dict,
)
from tfx_core.modeling.framework_common import finish_loading, load_config, snapshot_folder
from tfx_core.weights import (
    LoadReport,
    RenameRules,
    align_prefix,
    atomic_directory,
    open_checkpoint,
    save_state_dict,
)

#: Old checkpoints name LayerNorm parameters gamma/beta; the reference renames them on load.
LEGACY_RENAMES = RenameRules(
    [(r"LayerNorm\.gamma$", "LayerNorm.weight"), (r"LayerNorm\.beta$", "LayerNorm.bias")]
)
_DTYPES = {
    "float32": jnp.float32,
    "float": jnp.float32,
    "fp32": jnp.float32,
    "float16": jnp.float16,
    "half": jnp.float16,
    "fp16": jnp.float16,
    "bfloat16": jnp.bfloat16,
    "bf16": jnp.bfloat16,
}
_SAFE_FLOATS = {"F32": jnp.float32, "F16": jnp.float16, "BF16": jnp.bfloat16}


def resolve_dtype(dtype: Any, config: PretrainedConfig, reader: Any = None) -> Any:
    """A JAX float dtype from `dtype=`: a dtype, a name ("bfloat16", "torch.float16"), None
    (float32) or "auto" (the config's `dtype`, else the checkpoint's)."""
    if dtype is None:
        return jnp.float32
    name = str(getattr(dtype, "__name__", dtype)).removeprefix("torch.").removeprefix("jnp.")
    if name == "auto":
        if config.dtype and config.dtype != "auto":
            name = str(config.dtype).removeprefix("torch.")
        else:
            for key in reader.keys() if reader is not None else []:
                found = _SAFE_FLOATS.get(str(reader.dtype(key)).upper())
                if found is not None:
                    return found
            return jnp.float32
    with contextlib.suppress(TypeError):
        name = np.dtype(name).name if name not in _DTYPES else name
    if name not in _DTYPES:
        raise ConfigError(
            f"Unsupported dtype {dtype!r}: use jnp.float32, jnp.bfloat16, jnp.float16 (or their "
            "names) or 'auto' (the checkpoint's own dtype)."
        )
    return _DTYPES[name]


def _matches(key: str, patterns: list[str]) -> bool:
    return any(re.search(pattern, key) for pattern in patterns)


class FlaxPreTrainedModel(nnx.Module):
    """Base of tfx Flax models: `from_pretrained`, `save_pretrained`, `from_config`.

    Subclasses set `config_class`, `base_model_prefix` (the attribute holding the base model in
    head classes, e.g. "bert"), `tied_keys` (checkpoint keys that are tied copies of another
    weight when `config.tie_word_embeddings`: the Flax model computes them from the source),
    `shared_keys` (the same, always tied) and `ignore_unexpected_keys` / `ignore_missing_keys`
    (regexes), and build their layers in `__init__(config, *, dtype, rngs)`.
    """

    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    tied_keys: ClassVar[tuple[str, ...]] = ()
    shared_keys: ClassVar[tuple[str, ...]] = ()
    ignore_unexpected_keys: ClassVar[list[str]] = []
    ignore_missing_keys: ClassVar[list[str]] = []
    load_rename_rules: ClassVar[RenameRules] = LEGACY_RENAMES

    def __init__(self, config: PretrainedConfig, *, dtype: Any = jnp.float32) -> None:
        if not isinstance(config, PretrainedConfig):
            raise ConfigError(
                f"{type(self).__name__} expects a PretrainedConfig, got {type(config).__name__}."
            )
        self.config = config
        self.param_dtype = dtype
        self.load_report: LoadReport | None = None

    # ------------------------------------------------------------ properties
    @property
    def dtype(self) -> Any:
        return self.param_dtype

    @classmethod
    def hf_architecture(cls) -> str:
        """The PyTorch class name this class mirrors (written to `architectures`)."""
        return cls.__name__.removeprefix("Flax")

    def num_parameters(self) -> int:
        return sum(int(np.prod(s.variable.get_value().shape)) for s in self._slots().values())

    def _slots(self) -> dict[str, Slot]:
        return checkpoint_slots(self)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_config(
        cls, config: PretrainedConfig, *, dtype: Any = None, seed: int = 0, **kwargs: Any
    ) -> FlaxPreTrainedModel:
        """A new model with freshly initialised weights (`seed` drives the init)."""
        kwargs.pop("device", None)
        return cls(config, dtype=resolve_dtype(dtype, config), rngs=nnx.Rngs(seed), **kwargs)

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        torch_dtype: Any = None,
        device: Any = None,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        strict: bool = False,
        allow_pickle: bool = False,
        output_loading_info: bool = False,
        seed: int = 0,
        **config_overrides: Any,
    ) -> Any:
        """Load a checkpoint folder or Hub id; `model.load_report` says what matched.

        Same options as the PyTorch base: config-field keywords override the config, `dtype`
        is a dtype, its name or "auto", `strict=True` raises `LoadError` on any problem,
        `output_loading_info=True` returns `(model, report)`. `device` is a `jax.Device`
        (default: JAX's default device). `seed` initialises weights the checkpoint lacks.
        """
        folder = snapshot_folder(
            path_or_id, allow_pickle, revision, local_files_only, cache_dir, token
        )
        config = cls._load_config(folder, config, config_overrides)
        config.validate()
        with open_checkpoint(folder, allow_pickle=allow_pickle) as reader:
            target = resolve_dtype(dtype if dtype is not None else torch_dtype, config, reader)
            model = nnx.eval_shape(lambda: cls(config, dtype=target, rngs=nnx.Rngs(seed)))
            report = model._load_from_reader(reader, target, seed, device)
        model._after_load(folder)
        model.load_report = report
        model.eval()
        finish_loading(report, strict, path_or_id, cls.__name__)
        return (model, report) if output_loading_info else model

    @classmethod
    def _load_config(
        cls, folder: Path, config: PretrainedConfig | None, overrides: dict[str, Any]
    ) -> PretrainedConfig:
        return load_config(cls, folder, config, overrides)

    def _after_load(self, folder: Path) -> None:
        """Hook for mixins to read extra files after loading (e.g. generation_config.json)."""

    # ------------------------------------------------------------ loading
    def _alias_keys(self) -> set[str]:
        keys = set(self.shared_keys)
        if getattr(self.config, "tie_word_embeddings", True):
            keys.update(self.tied_keys)
        return keys

    def _load_from_reader(self, reader: Any, dtype: Any, seed: int, device: Any) -> LoadReport:
        """Fill every parameter from the checkpoint; initialise the rest."""
        slots = self._slots()
        checkpoint_keys = reader.keys()
        original = {self.load_rename_rules.apply(key): key for key in checkpoint_keys}
        mapping = align_prefix(original, slots, self.base_model_prefix)
        report = LoadReport()
        used: set[str] = set()
        loaded: set[str] = set()
        for model_key, renamed in mapping.items():
            key = original[renamed]
            used.add(key)
            slot = slots[model_key]
            abstract = slot.variable.get_value()
            expected = checkpoint_shape(slot, abstract.shape)
            shape = tuple(reader.shape(key))
            if shape != expected:
                report.mismatched.append((model_key, shape, expected))
                continue
            value = from_checkpoint(reader.get(key, framework="np"), slot)
            slot.variable.set_value(_to_device(value, abstract.dtype, device))
            loaded.add(model_key)

        rng = jax.random.key(seed)
        mismatched = {key for key, _, _ in report.mismatched}
        for index, (key, slot) in enumerate(slots.items()):
            if key in loaded:
                continue
            abstract = slot.variable.get_value()
            fresh = self._init_value(
                key, abstract.shape, abstract.dtype, jax.random.fold_in(rng, index)
            )
            slot.variable.set_value(_to_device(fresh, abstract.dtype, device))
            if key not in mismatched:
                ignored = _matches(key, self.ignore_missing_keys)
                (report.ignored_missing if ignored else report.missing).append(key)
        self._materialize_state(rng, device)
        aliases = self._alias_keys()
        prefix = f"{self.base_model_prefix}." if self.base_model_prefix else ""
        for key in checkpoint_keys:
            renamed = self.load_rename_rules.apply(key)
            if key in used or renamed in aliases or (prefix and prefix + renamed in aliases):
                continue
            if prefix and renamed.startswith(prefix) and renamed[len(prefix) :] in aliases:
                continue
            ignored = _matches(key, self.ignore_unexpected_keys)
            (report.ignored_unexpected if ignored else report.unexpected).append(key)
        return report

    def _materialize_state(self, rng: jax.Array, device: Any) -> None:
        """Give the abstract non-parameter state (dropout RNG keys and counters) real values."""
        for index, (_, node) in enumerate(nnx.iter_graph(self)):
            if not isinstance(node, nnx.Variable) or isinstance(node, nnx.Param):
                continue
            value = node.get_value()
            if not isinstance(value, jax.ShapeDtypeStruct):
                continue
            if isinstance(node, nnx.RngKey):
                fresh = jax.random.fold_in(rng, 1_000_003 + index)
            else:
                fresh = jnp.zeros(value.shape, value.dtype)
            node.set_value(jax.device_put(fresh, device) if device is not None else fresh)

    def _init_value(self, key: str, shape: tuple[int, ...], dtype: Any, rng: jax.Array) -> Any:
        """A fresh value for a weight the checkpoint lacks, like the reference's init:
        normal(initializer_range) for matrices and tables, ones for norm scales, zeros else."""
        leaf = key.rpartition(".")[2]
        if leaf == "weight" and len(shape) >= 2:
            std = float(getattr(self.config, "initializer_range", 0.02))
            return jax.random.normal(rng, shape, jnp.float32).astype(dtype) * std
        if leaf == "weight" and _is_norm_key(key):
            return jnp.ones(shape, dtype)
        return jnp.zeros(shape, dtype)

    # ------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, np.ndarray]:
        """Every weight under its PyTorch name as numpy (tied copies are not listed)."""
        return state_dict(self)

    def save_pretrained(
        self, save_directory: str | os.PathLike, *, max_shard_size: int | str = "5GB"
    ) -> Path:
        """Write config.json and PyTorch-named safetensors (sharded if large), all or nothing.

        `architectures` names the PyTorch class (e.g. `BertForMaskedLM`), so the reference
        library and `AutoModel` in every framework pick the same head.
        """
        target = Path(save_directory)
        config = type(self.config).from_dict(self.config.to_dict())
        config.architectures = [self.hf_architecture()]
        config.dtype = np.dtype(self.param_dtype).name
        tensors = self.state_dict()
        with atomic_directory(target) as tmp:
            config.save_pretrained(tmp)
            save_state_dict(tensors, tmp, max_shard_size=max_shard_size)
            self._save_extra_files(tmp)
        return target

    def _save_extra_files(self, folder: Path) -> None:
        """Hook for mixins to add files to a save (e.g. generation_config.json)."""


def _is_norm_key(key: str) -> bool:
    module = key.rpartition(".")[0].rpartition(".")[2].lower()
    return "norm" in module or module.startswith("ln_")


def _to_device(value: Any, dtype: Any, device: Any) -> jax.Array:
    array = np.asarray(value)
    if array.dtype != np.dtype(dtype):
        array = array.astype(dtype)
    return jax.device_put(array, device) if device is not None else jnp.asarray(array)
