"""`TFPreTrainedModel`: the Keras 3 base of tfx's TensorFlow models.

Models are subclassed `keras.Model`s whose layers carry the PyTorch attribute names, so one
adapter (`adapter.named_weights`) maps every variable to its checkpoint key. Loading reads the
same safetensors files as the PyTorch models (numpy through `tfx_core.weights`, no torch);
saving writes PyTorch names with `{"format": "pt"}` metadata, atomically and sharded like the
PyTorch base, so `transformers` and tfx's PyTorch models load what a TF model saved.

Training: `model.compile(optimizer=...)` then `model.fit(data)` where each batch is a dict of
model inputs that includes `labels` (or `(inputs, labels)` pairs); the loss is the head's own
(as the reference computes it), unless `compile` was given a `loss`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from tfx_core import hub
from tfx_core.config import PretrainedConfig
from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import finish_loading, load_config, snapshot_folder
from tfx_core.modeling.keras.adapter import WeightSlot, assign, named_weights, to_numpy
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.weights import (
    LoadReport,
    RenameRules,
    align_prefix,
    atomic_directory,
    open_checkpoint,
    save_state_dict,
)

#: Old checkpoints name LayerNorm parameters gamma/beta; renamed on load, as the reference does.
LEGACY_RENAMES = RenameRules(
    [(r"LayerNorm\.gamma$", "LayerNorm.weight"), (r"LayerNorm\.beta$", "LayerNorm.bias")]
)
_DTYPES = {
    "float32": "float32",
    "float": "float32",
    "fp32": "float32",
    "float16": "float16",
    "half": "float16",
    "fp16": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
}
_SAFE_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}
_POLICY_LOCK = threading.RLock()


def resolve_dtype(dtype: Any, config: PretrainedConfig, reader: Any = None) -> str:
    """A Keras dtype name from `dtype=`: None (float32), a name, a tf/torch dtype, or "auto"."""
    if dtype is None:
        return "float32"
    name = getattr(dtype, "name", None) or str(dtype)
    name = name.removeprefix("torch.")
    if name == "auto":
        if config.dtype and config.dtype != "auto":
            name = config.dtype
        else:
            for key in reader.keys() if reader is not None else ():
                stored = _SAFE_DTYPES.get(str(reader.dtype(key)).upper())
                if stored:
                    return stored
            return "float32"
    if name not in _DTYPES:
        raise ConfigError(
            f"Unsupported dtype {dtype!r}: use 'float32', 'float16', 'bfloat16' or 'auto' "
            "(the checkpoint's own dtype)."
        )
    return _DTYPES[name]


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build layers with variables of dtype `name` (Keras reads a global policy at creation)."""
    with _POLICY_LOCK:
        previous = keras.config.dtype_policy()
        keras.config.set_dtype_policy(name)
        try:
            yield
        finally:
            keras.config.set_dtype_policy(previous)


def as_tensor(value: Any, dtype: Any = None) -> Any:
    """`value` (tensor, numpy array, nested list) as a tf tensor, or None."""
    if value is None:
        return None
    tensor = tf.convert_to_tensor(value)
    return tf.cast(tensor, dtype) if dtype is not None and tensor.dtype != dtype else tensor


def output_flags(config: Any, output_attentions: Any, output_hidden_states: Any) -> tuple:
    """`(output_attentions, output_hidden_states)`: the caller's, else the config's."""
    attentions = config.output_attentions if output_attentions is None else output_attentions
    hidden = config.output_hidden_states if output_hidden_states is None else output_hidden_states
    return bool(attentions), bool(hidden)


def _arrays_as_tensors(value: Any) -> Any:
    """numpy arrays and lists become tensors; flags and tensors pass through."""
    return as_tensor(value) if isinstance(value, (np.ndarray, list)) else value


def unpack_inputs(call: Any) -> Any:
    """Let `call` take its inputs as one dict (what `fit` and a tokenizer's output give)."""

    @functools.wraps(call)
    def wrapper(self: Any, input_ids: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(input_ids, Mapping):
            merged = {**input_ids, **kwargs}
            input_ids = merged.pop("input_ids", None)
            kwargs = merged
        return call(self, input_ids, *args, **kwargs)

    return wrapper


class TFPreTrainedModel(keras.Model):
    """Base class of tfx TensorFlow models: loading, saving, dtype and training.

    Subclasses set `config_class`, `base_model_prefix` (the attribute holding the base model in
    head classes), `tied_weights` (checkpoint alias key -> source key: the alias is not a
    variable here, and loads into its source when only the alias is in a file),
    `ignore_unexpected_keys` / `ignore_missing_keys` (regexes of harmless differences).
    """

    config_class: ClassVar[type[PretrainedConfig]] = PretrainedConfig
    base_model_prefix: ClassVar[str] = ""
    main_input_name: ClassVar[str] = "input_ids"
    tied_weights: ClassVar[dict[str, str]] = {}
    ignore_unexpected_keys: ClassVar[list[str]] = []
    ignore_missing_keys: ClassVar[list[str]] = []
    load_rename_rules: ClassVar[RenameRules] = LEGACY_RENAMES

    def __init__(self, config: PretrainedConfig, **kwargs: Any) -> None:
        if not isinstance(config, PretrainedConfig):
            raise ConfigError(
                f"{type(self).__name__} expects a PretrainedConfig, got {type(config).__name__}."
            )
        super().__init__(**kwargs)
        # Token ids and labels are integers: Keras must not cast call arguments to the float
        # compute dtype (it does so under tf.distribute).
        self._convert_input_args = False
        self.config = config
        self.load_report: LoadReport | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Mapping):  # a dict of inputs, or a BatchEncoding
            args = ({key: _arrays_as_tensors(v) for key, v in args[0].items()}, *args[1:])
        elif args and args[0] is not None:
            args = (as_tensor(args[0]), *args[1:])  # token ids as a numpy array or list
        return super().__call__(*args, **kwargs)

    def build(self, input_shape: Any = None) -> None:
        self.built = True  # every layer is built in __init__

    # ------------------------------------------------------------ names and weights
    @classmethod
    def reference_name(cls) -> str:
        """The PyTorch class name this model answers to (`TFBertModel` -> `BertModel`)."""
        return cls.__name__.removeprefix("TF")

    def named_weights(self) -> dict[str, WeightSlot]:
        """PyTorch key -> Keras variable (and layout) for every weight of the model."""
        return named_weights(self)

    def state_dict(self) -> dict[str, Any]:
        """The weights as numpy arrays under their PyTorch names and layouts."""
        return {key: to_numpy(slot) for key, slot in self.named_weights().items()}

    def state_dict_for_save(self) -> dict[str, Any]:
        """What `save_pretrained` writes (architectures drop what the reference does not save)."""
        return self.state_dict()

    def get_input_embeddings(self) -> Any:
        base = getattr(self, self.base_model_prefix, None) if self.base_model_prefix else None
        if isinstance(base, TFPreTrainedModel) and base is not self:
            return base.get_input_embeddings()
        raise NotImplementedError(f"{type(self).__name__} does not define its input embeddings.")

    @property
    def dtype_name(self) -> str:
        for variable in self.weights:
            name = keras.backend.standardize_dtype(variable.dtype)
            if "float" in name:
                return name
        return "float32"

    # ------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: PretrainedConfig, *, dtype: Any = None, **kwargs: Any) -> Any:
        """A new model with freshly initialised weights."""
        with dtype_policy(resolve_dtype(dtype, config)):
            return cls(config, **kwargs)

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        config: PretrainedConfig | None = None,
        dtype: Any = None,
        torch_dtype: Any = None,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        strict: bool = False,
        allow_pickle: bool = False,
        output_loading_info: bool = False,
        device: Any = None,
        attn_implementation: str | None = None,
        **config_overrides: Any,
    ) -> Any:
        """Load a checkpoint folder or Hub id (the PyTorch models' files); see the PyTorch
        `PreTrainedModel.from_pretrained` for the options. `model.load_report` says what
        matched; `strict=True` raises `LoadError` on any missing, unexpected or mismatched
        weight. `device` and `attn_implementation` are accepted for scripts written for the
        PyTorch models: TensorFlow places variables itself (use `with tf.device(...)`), and
        attention is always the plain softmax(q k^T) v that XLA fuses.
        """
        if attn_implementation not in (None, "eager", "sdpa"):
            raise ConfigError(
                f"attn_implementation={attn_implementation!r} is not available in TensorFlow; "
                "drop the argument."
            )
        folder = snapshot_folder(
            path_or_id, allow_pickle, revision, local_files_only, cache_dir, token
        )
        config = cls._load_config(folder, config, config_overrides)
        with open_checkpoint(folder, allow_pickle=allow_pickle) as reader:
            name = resolve_dtype(dtype if dtype is not None else torch_dtype, config, reader)
            with dtype_policy(name):
                model = cls(config)
            report = model.load_weights_from(reader)
        model._after_load(folder)
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
    def load_weights_from(self, source: Any) -> LoadReport:
        """Assign weights from a checkpoint reader or a `{pytorch key: array}` mapping.

        Returns (and keeps as `self.load_report`) what was missing, unexpected or mismatched;
        weights the source lacks keep their initial values.
        """
        reader = source if hasattr(source, "shape") else _MappingReader(source)
        slots = self.named_weights()
        checkpoint_keys = list(reader.keys())
        original = {self.load_rename_rules.apply(key): key for key in checkpoint_keys}
        for alias, target in self.tied_weights.items():  # a file with only the alias spelling
            if alias in original and target not in original:
                original[target] = original.pop(alias)
        mapping = align_prefix(original, slots, self.base_model_prefix)
        report = LoadReport()
        used: set[str] = set()
        for key, renamed in mapping.items():
            checkpoint_key = original[renamed]
            used.add(checkpoint_key)
            slot = slots[key]
            shape = tuple(reader.shape(checkpoint_key))
            if shape != slot.torch_shape:
                report.mismatched.append((key, shape, slot.torch_shape))
                continue
            assign(slot, reader.get(checkpoint_key, framework="np"))

        def ignored(key: str, patterns: list[str]) -> bool:
            return any(re.search(pattern, key) for pattern in patterns)

        mismatched = {key for key, _, _ in report.mismatched}
        for key in slots:
            if key in mapping or key in mismatched:
                continue
            bucket = (
                report.ignored_missing if ignored(key, self.ignore_missing_keys) else report.missing
            )
            bucket.append(key)
        aliases = set(self.tied_weights)
        for key in checkpoint_keys:
            renamed = self.load_rename_rules.apply(key)
            bare = renamed.removeprefix(f"{self.base_model_prefix}.")
            if key in used or renamed in aliases or bare in aliases:
                continue
            bucket = (
                report.ignored_unexpected
                if ignored(key, self.ignore_unexpected_keys)
                else report.unexpected
            )
            bucket.append(key)
        self.load_report = report
        return report

    # ------------------------------------------------------------ saving
    def save_pretrained(
        self,
        save_directory: str | os.PathLike,
        *,
        max_shard_size: int | str = "5GB",
        safe_serialization: bool = True,
        push_to_hub: bool = False,
        repo_id: str | None = None,
        token: str | bool | None = None,
    ) -> Path:
        """Write config.json and safetensors weights under PyTorch names, all or nothing.

        `config.json` names the reference's class (`BertForMaskedLM` for `TFBertForMaskedLM`)
        in `architectures`, so `transformers` and tfx's Auto classes pick the same head.
        """
        if not safe_serialization:
            raise ConfigError(
                "tfx saves only safetensors (pickle files can run code when loaded); "
                "drop safe_serialization=False."
            )
        target = Path(save_directory)
        config = type(self.config).from_dict(self.config.to_dict())
        config.architectures = [self.reference_name()]
        config.dtype = self.dtype_name
        with atomic_directory(target) as tmp:
            config.save_pretrained(tmp)
            save_state_dict(self.state_dict_for_save(), tmp, max_shard_size=max_shard_size)
            self._save_extra_files(tmp)
        if push_to_hub:
            hub.push_to_hub(target, repo_id or target.name, token=token)
        return target

    def _save_extra_files(self, folder: Path) -> None:
        """Hook for mixins to add files to a save (e.g. generation_config.json)."""

    # ------------------------------------------------------------ training
    def _training_inputs(self, x: Any, y: Any) -> dict[str, Any]:
        inputs = dict(x) if isinstance(x, Mapping) else {self.main_input_name: x}
        if isinstance(y, Mapping):
            inputs.update(y)
        elif y is not None and not self._compiled_loss():
            inputs["labels"] = y
        return inputs

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """Keras `compile`; without a `loss`, training uses the head's own loss."""
        # Every variable exists already: marking the layers built keeps `fit` from tracing the
        # model on a symbolic batch (which tf.distribute reduces to floats, ids included).
        for layer in self._flatten_layers():
            layer.built = True
        super().compile(*args, **kwargs)

    def _compiled_loss(self) -> bool:
        return getattr(self, "loss", None) is not None

    def _step_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> Any:
        outputs = self(self._training_inputs(x, y), training=training)
        if self._compiled_loss():
            return self.compute_loss(
                x=x, y=y, y_pred=outputs["logits"], sample_weight=sample_weight
            )
        if "loss" not in outputs:
            raise ConfigError(
                f"{type(self).__name__} computed no loss: include `labels` in the inputs "
                "(e.g. {'input_ids': ..., 'labels': ...}) or compile() with a loss."
            )
        return outputs["loss"]

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker `fit` and `evaluate` report (the head's loss, averaged)."""
        tracker = self.__dict__.get("_tfx_loss_tracker")
        if tracker is None:
            tracker = keras.metrics.Mean(name="loss")
            self.__dict__["_tfx_loss_tracker"] = tracker
        return [tracker]

    def train_step(self, data: Any) -> dict[str, Any]:
        """One optimizer step on the head's loss (computed from `labels` in the inputs)."""
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            loss = self._step_loss(x, y, sample_weight, training=True)
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(gradients, variables))
        return self._track(loss)

    def test_step(self, data: Any) -> dict[str, Any]:
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        return self._track(self._step_loss(x, y, sample_weight, training=False))

    def _track(self, loss: Any) -> dict[str, Any]:
        tracker = self.metrics[0]
        tracker.update_state(loss)
        return {"loss": tracker.result()}

    def _outputs(self, outputs: ModelOutput, return_dict: bool | None) -> Any:
        use_dict = self.config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()


class _MappingReader:
    """A `{key: array}` mapping with the reader interface `load_weights_from` uses."""

    def __init__(self, tensors: Mapping[str, Any]) -> None:
        self._tensors = tensors

    def keys(self) -> list[str]:
        return list(self._tensors)

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self._tensors[key].shape)

    def get(self, key: str, framework: str = "np") -> Any:
        value = self._tensors[key]
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach().cpu().float().numpy()
        return value
