"""Model configuration, read from and written to a Hugging Face compatible `config.json`.

A config is data only: values are numbers, strings, lists and dicts, kept as they are (unknown
keys included, and written back), validated with errors that name the field. No value is ever
turned into code or an import path: the `model_type` is looked up in the plugin registry, and
keys such as `auto_map` (remote code in the reference library) are preserved but never used.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any, ClassVar

from tfx_core.configuration_compat import DEFAULT_FIELDS, ConfigCompatMixin
from tfx_core.errors import ConfigError

CONFIG_NAME = "config.json"

_PROBLEM_TYPES = ("regression", "single_label_classification", "multi_label_classification")
_ATTN_IMPLEMENTATIONS = ("sdpa", "eager")
DTYPE_NAMES = ("float32", "float16", "bfloat16", "float64", "auto")
MAX_LABELS = 1_000_000

#: Upper bounds for the sizes that decide how much a model allocates and how long it takes to
#: build, checked for every architecture whose config has these fields. Each is far above any
#: published checkpoint; a larger value is a corrupted or hostile file, not a model.
SIZE_LIMITS = {
    "vocab_size": 2**24,
    "hidden_size": 2**16,
    "intermediate_size": 2**18,
    "num_hidden_layers": 1024,
    "num_attention_heads": 1024,
    "num_key_value_heads": 1024,
    "head_dim": 2**13,
    "max_position_embeddings": 2**24,
    "type_vocab_size": 2**16,
    "n_inner": 2**18,
    "num_layers": 1024,
    "num_heads": 1024,
    "d_model": 2**16,
    "d_ff": 2**18,
    "encoder_layers": 1024,
    "decoder_layers": 1024,
}
#: Fields holding a small positive float (normalisation epsilon, init scale).
EPSILON_FIELDS = ("layer_norm_eps", "layer_norm_epsilon", "rms_norm_eps", "initializer_range")
#: Largest embedding table (vocabulary or positions x hidden size) a config may describe, about
#: 69 billion weights: sizes that are each within their limits can still multiply to absurdity.
MAX_EMBEDDING_ELEMENTS = 2**36


def _label_maps(
    id2label: Any, label2id: Any, num_labels: Any
) -> tuple[dict[int, str], dict[str, int]]:
    """Normalise label maps: JSON gives string keys, the model wants int ids."""
    if num_labels is not None and (
        not isinstance(num_labels, int)
        or isinstance(num_labels, bool)
        or not 0 <= num_labels <= MAX_LABELS
    ):
        raise ConfigError(
            f"config field 'num_labels' must be an int from 0 to {MAX_LABELS}, got {num_labels!r}."
        )
    if id2label is not None:
        if not isinstance(id2label, dict):
            raise ConfigError(f"config field 'id2label' must be a dict, got {id2label!r}.")
        if len(id2label) > MAX_LABELS:
            raise ConfigError(
                f"config field 'id2label' has {len(id2label)} entries; at most {MAX_LABELS}."
            )
        try:
            id2label = {int(k): str(v) for k, v in id2label.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"config field 'id2label' must map integer ids to labels, got {id2label!r}."
            ) from exc
        if num_labels is not None and int(num_labels) != len(id2label):
            raise ConfigError(
                f"config fields disagree: num_labels={num_labels} but id2label has "
                f"{len(id2label)} entries. Pass one of them, or make them match."
            )
    else:
        if num_labels is None:
            num_labels = 2
        id2label = {i: f"LABEL_{i}" for i in range(num_labels)}
    if label2id is not None:
        if not isinstance(label2id, dict):
            raise ConfigError(f"config field 'label2id' must be a dict, got {label2id!r}.")
        try:
            label2id = {str(k): int(v) for k, v in label2id.items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"config field 'label2id' must map labels to integer ids, got {label2id!r}."
            ) from exc
    else:
        label2id = {label: i for i, label in id2label.items()}
    return id2label, label2id


class PretrainedConfig(ConfigCompatMixin):
    """Base class of every architecture's config.

    Subclasses set `model_type`, optionally `attribute_map` (alias -> field, e.g.
    `{"n_embd": "hidden_size"}`), and define `__init__(self, field=default, ..., **kwargs)` that
    sets their fields and then calls `super().__init__(**kwargs)`.
    """

    model_type: ClassVar[str] = ""
    attribute_map: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        *,
        architectures: list[str] | None = None,
        id2label: dict | None = None,
        label2id: dict | None = None,
        num_labels: int | None = None,
        problem_type: str | None = None,
        dtype: str | None = None,
        torch_dtype: str | None = None,
        pad_token_id: int | None = None,
        bos_token_id: int | None = None,
        eos_token_id: int | list[int] | None = None,
        tie_word_embeddings: bool = True,
        is_encoder_decoder: bool = False,
        is_decoder: bool = False,
        add_cross_attention: bool = False,
        output_hidden_states: bool = False,
        output_attentions: bool = False,
        return_dict: bool = True,
        use_cache: bool = True,
        attn_implementation: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("model_type", None)  # a class attribute, not instance state
        kwargs.pop("_attn_implementation", None)
        self.architectures = list(architectures) if architectures is not None else None
        self.id2label, self.label2id = _label_maps(id2label, label2id, num_labels)
        self.problem_type = problem_type
        self.dtype = _dtype_name(dtype if dtype is not None else torch_dtype)
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        self.tie_word_embeddings = tie_word_embeddings
        self.is_encoder_decoder = is_encoder_decoder
        self.is_decoder = is_decoder
        self.add_cross_attention = add_cross_attention
        self.output_hidden_states = output_hidden_states
        self.output_attentions = output_attentions
        self.return_dict = return_dict
        self.use_cache = use_cache
        self.attn_implementation = attn_implementation
        for key, value in kwargs.items():  # unknown keys are kept and written back
            _check_extra_key(type(self), key)
            setattr(self, key, value)
        self.validate()

    # ------------------------------------------------------------- aliases
    def __setattr__(self, name: str, value: Any) -> None:
        name = type(self).attribute_map.get(name, name)
        super().__setattr__(name, value)

    def __getattr__(self, name: str) -> Any:  # only called when normal lookup fails
        canonical = type(self).attribute_map.get(name)
        if canonical is not None:
            return getattr(self, canonical)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    # ------------------------------------------------------------- labels
    @property
    def num_labels(self) -> int:
        return len(self.id2label)

    @num_labels.setter
    def num_labels(self, value: int) -> None:
        if len(self.id2label) != value:
            self.id2label, self.label2id = _label_maps(None, None, value)

    @property
    def use_return_dict(self) -> bool:
        return bool(self.return_dict)

    # ------------------------------------------------------------- validation
    def validate(self) -> None:
        """Check field values; subclasses extend it. Errors name the offending field."""
        if self.problem_type is not None and self.problem_type not in _PROBLEM_TYPES:
            raise ConfigError(
                f"config field 'problem_type' must be one of {', '.join(_PROBLEM_TYPES)} "
                f"or null, got {self.problem_type!r}."
            )
        if (
            self.attn_implementation is not None
            and self.attn_implementation not in _ATTN_IMPLEMENTATIONS
        ):
            raise ConfigError(
                "config field 'attn_implementation' must be one of "
                f"{', '.join(_ATTN_IMPLEMENTATIONS)}, got {self.attn_implementation!r}."
            )
        if self.architectures is not None and not all(
            isinstance(a, str) for a in self.architectures
        ):
            raise ConfigError(
                f"config field 'architectures' must be a list of strings, got {self.architectures!r}."
            )
        for name in ("pad_token_id", "bos_token_id"):
            value = getattr(self, name)
            if value is not None and not _is_int(value):
                raise ConfigError(f"config field {name!r} must be an int or null, got {value!r}.")
        eos = self.eos_token_id
        if eos is not None and not (
            _is_int(eos) or (isinstance(eos, list) and all(_is_int(i) for i in eos))
        ):
            raise ConfigError(
                f"config field 'eos_token_id' must be an int, a list of ints or null, got {eos!r}."
            )
        for name in ("tie_word_embeddings", "is_encoder_decoder", "is_decoder", "use_cache"):
            value = getattr(self, name)
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ConfigError(f"config field {name!r} must be true or false, got {value!r}.")
        self._validate_sizes()

    def _validate_sizes(self) -> None:
        """Sizes within `SIZE_LIMITS`, epsilons finite, token ids inside the vocabulary."""
        sizes = {}
        for name, limit in SIZE_LIMITS.items():
            value = self.__dict__.get(name)
            if value is None:
                continue
            if not _is_int(value) or not 0 <= value <= limit:
                raise ConfigError(
                    f"config field {name!r} must be an int from 0 to {limit}, got {value!r}. "
                    "The config.json is corrupted or is not a model tfx can build."
                )
            sizes[name] = value
        width = sizes.get("hidden_size") or sizes.get("d_model") or 0
        for name in ("vocab_size", "max_position_embeddings"):
            if sizes.get(name, 0) * width > MAX_EMBEDDING_ELEMENTS:
                raise ConfigError(
                    f"config fields {name!r} ({sizes[name]}) x hidden size ({width}) describe a "
                    f"table of more than {MAX_EMBEDDING_ELEMENTS} weights; the config.json is "
                    "corrupted or is not a model tfx can build."
                )
        for name in EPSILON_FIELDS:
            value = self.__dict__.get(name)
            if value is not None and not _is_finite_number(value, minimum=0.0):
                raise ConfigError(
                    f"config field {name!r} must be a finite number >= 0, got {value!r}."
                )
        vocab = sizes.get("vocab_size")
        pad = self.pad_token_id
        if vocab and pad is not None and not -vocab <= pad < vocab:
            raise ConfigError(
                f"config field 'pad_token_id' ({pad}) is outside the vocabulary "
                f"(vocab_size={vocab}). Fix the config: use a token id below vocab_size, or null."
            )

    def require_positive_int(self, *names: str) -> None:
        """Validation helper for subclasses: each named field is an int > 0."""
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(
                    f"{type(self).__name__} field {name!r} must be a positive int, got {value!r}."
                )

    def require_probability(self, *names: str) -> None:
        """Validation helper for subclasses: each named field is a number in [0, 1]."""
        for name in names:
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= 1
            ):
                raise ConfigError(
                    f"{type(self).__name__} field {name!r} must be in [0, 1], got {value!r}."
                )

    # ------------------------------------------------------------- dict / json
    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON-ready data, with the reference's key conventions."""
        output: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key.startswith("_"):
                continue
            output[key] = copy.deepcopy(value)
        if self.pruned_heads:
            output["pruned_heads"] = {str(k): v for k, v in self.pruned_heads.items()}
        output["id2label"] = {str(k): v for k, v in self.id2label.items()}
        output["label2id"] = dict(self.label2id)
        if output.get("dtype") is None:
            output.pop("dtype", None)
        if output.get("attn_implementation") is None:
            output.pop("attn_implementation", None)
        if self.model_type:
            output["model_type"] = self.model_type
        from tfx_core import __version__

        output["tfx_version"] = __version__
        return dict(sorted(output.items()))

    def to_json_string(self, use_diff: bool = True) -> str:
        """The config as JSON: with `use_diff` (the reference's default) only the fields that
        differ from the class defaults, else every field (what `save_pretrained` writes)."""
        data = self.to_diff_dict() if use_diff else self.to_dict()
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **overrides: Any) -> PretrainedConfig:
        """Build a config from a dict (a parsed config.json), then apply `overrides`."""
        if not isinstance(config_dict, dict):
            raise ConfigError(f"A config must be a JSON object, got {type(config_dict).__name__}.")
        data = dict(config_dict)
        file_type = data.get("model_type")
        if cls.model_type and file_type and file_type != cls.model_type:
            raise ConfigError(
                f"This config has model_type {file_type!r} but {cls.__name__} expects "
                f"{cls.model_type!r}. Load it with tfx_core.AutoConfig, which picks the right class."
            )
        data.pop("tfx_version", None)
        data.update(overrides)
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"Invalid arguments for {cls.__name__}: {exc}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PretrainedConfig) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string(use_diff=False)}"

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            setattr(self, key, value)

    # ------------------------------------------------------------- files
    @classmethod
    def read_config_file(
        cls,
        path_or_id: str | os.PathLike,
        *,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
    ) -> dict[str, Any]:
        """Find and parse `config.json` for a local folder, a file, or a Hub id."""
        from tfx_core import hub

        hub.check_path_or_id(path_or_id)
        path = Path(path_or_id)
        if path.is_file():
            config_file = path
        else:
            config_file = hub.resolve_file(
                path_or_id,
                CONFIG_NAME,
                revision=revision,
                local_files_only=local_files_only,
                cache_dir=cache_dir,
                token=token,
            )
        return load_json_file(config_file, what="config")

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        *,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        return_unused_kwargs: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Load `config.json`; keyword arguments that are config fields override it."""
        data = cls.read_config_file(
            path_or_id,
            revision=revision,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            token=token,
        )
        config = cls.from_dict(data)
        unused = {}
        for key, value in kwargs.items():
            canonical = cls.attribute_map.get(key, key)
            if hasattr(config, canonical) or key in ("num_labels",):
                setattr(config, key, value)
            else:
                unused[key] = value
        if kwargs:
            config.validate()
        if return_unused_kwargs:
            return config, unused
        if unused:
            raise ConfigError(
                f"Unknown config fields for {cls.__name__}: {', '.join(sorted(unused))}."
            )
        return config

    def save_pretrained(self, save_directory: str | os.PathLike) -> Path:
        """Write `config.json` into `save_directory` atomically (temp file, then rename)."""
        folder = Path(save_directory)
        if folder.exists() and not folder.is_dir():
            raise ConfigError(f"Cannot save a config into {folder}: it is a file, not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / CONFIG_NAME
        write_text_atomic(target, self.to_json_string(use_diff=False))
        return target


def load_json_file(path: str | os.PathLike, *, what: str = "JSON") -> dict[str, Any]:
    """Parse a JSON file with an error that says which file and where it is malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"The {what} file {path} does not exist.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The {what} file {path} is not UTF-8 text: {exc}.") from exc
    data = parse_json(text, source=f"The {what} file {path}", error=ConfigError)
    if not isinstance(data, dict):
        raise ConfigError(
            f"The {what} file {path} must hold a JSON object, not {type(data).__name__}."
        )
    return data


def parse_json(text: str | bytes, *, source: str, error: type[Exception] = ConfigError) -> Any:
    """`json.loads` for untrusted files: malformed JSON, nesting deeper than Python's recursion
    limit and integers longer than Python converts (4,300 digits) all raise `error`, whose
    message starts with `source` (e.g. "The config file /x/config.json")."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except UnicodeDecodeError as exc:
        problem = f"it is not UTF-8 text: {exc}"
    except RecursionError:
        problem = "it is nested too deeply to be a real file"
    except ValueError as exc:  # e.g. an integer literal of thousands of digits
        problem = str(exc).split(";")[0]
    raise error(f"{source} is not valid JSON ({problem}). Fix it or download it again.")


def write_text_atomic(target: Path, text: str) -> None:
    """Write a text file so that readers see either the old or the new content, never half."""
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: Any, *, minimum: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return minimum <= value <= 2**53
    return math.isfinite(value) and value >= minimum


def _check_extra_key(cls: type, key: Any) -> None:
    """An unknown config key becomes an attribute: it must not replace one of the class's."""
    if not isinstance(key, str) or not key or key.startswith("__"):
        raise ConfigError(
            f"config key {key!r} is not a field name tfx can keep (a key must not be empty or "
            "start with '__'). Remove it from config.json."
        )
    if hasattr(cls, key) and key not in DEFAULT_FIELDS:
        raise ConfigError(
            f"config key {key!r} names a method or property of {cls.__name__}, not a field. "
            "Remove it from config.json."
        )


def _dtype_name(value: Any) -> str | None:
    """Normalise a dtype given as 'float16', 'torch.float16' or a torch dtype to its name."""
    if value is None:
        return None
    name = str(value).removeprefix("torch.")
    if name not in DTYPE_NAMES:
        raise ConfigError(
            f"config field 'dtype' must be one of {', '.join(DTYPE_NAMES)}, got {value!r}."
        )
    return name
