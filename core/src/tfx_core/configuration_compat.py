"""The reference's `PretrainedConfig` surface beyond what `config.PretrainedConfig` defines.

Class-level defaults for the fields every reference config has (the legacy generation fields
such as `num_beams`, plus `torchscript`, `pruned_heads`, `tokenizer_class`, ...): they read as
the reference's defaults, and only values that differ from them live on the instance, so
`config.json` files stay as they were. Plus the reference's file and string helpers
(`to_json_file`, `from_json_file`, `get_config_dict`, `to_diff_dict`, `update_from_string`,
`get_text_config`, `push_to_hub`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from tfx_core.errors import ConfigError

#: Generation settings the reference still keeps on model configs (old checkpoints set them).
LEGACY_GENERATION_DEFAULTS: dict[str, Any] = {
    "max_length": 20,
    "min_length": 0,
    "do_sample": False,
    "early_stopping": False,
    "num_beams": 1,
    "num_beam_groups": 1,
    "diversity_penalty": 0.0,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "typical_p": 1.0,
    "repetition_penalty": 1.0,
    "length_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "encoder_no_repeat_ngram_size": 0,
    "bad_words_ids": None,
    "num_return_sequences": 1,
    "output_scores": False,
    "return_dict_in_generate": False,
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "remove_invalid_values": False,
    "exponential_decay_length_penalty": None,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
}

#: Other fields of every reference config, with the reference's defaults.
COMMON_DEFAULTS: dict[str, Any] = {
    "chunk_size_feed_forward": 0,
    "cross_attention_hidden_size": None,
    "decoder_start_token_id": None,
    "finetuning_task": None,
    "prefix": None,
    "sep_token_id": None,
    "task_specific_params": None,
    "tf_legacy_loss": False,
    "tie_encoder_decoder": False,
    "tokenizer_class": None,
    "torchscript": False,
    "transformers_version": None,
    "use_bfloat16": False,
}

_TRUE = ("true", "1", "y", "yes")
_FALSE = ("false", "0", "n", "no")


class ConfigCompatMixin:
    """Mixed into `PretrainedConfig`: defaults and helpers with the reference's names."""

    #: Composite configs name their sub-configs here (e.g. {"text_config": ...}); none by default.
    sub_configs: ClassVar[dict[str, Any]] = {}
    base_config_key: ClassVar[str] = ""
    has_no_defaults_at_init: ClassVar[bool] = False
    #: tfx has no tensor / pipeline / expert parallel plans.
    base_model_tp_plan: ClassVar[dict[str, Any] | None] = None
    base_model_pp_plan: ClassVar[dict[str, Any] | None] = None
    base_model_ep_plan: ClassVar[dict[str, Any] | None] = None

    # ------------------------------------------------------------ instance state
    @property
    def name_or_path(self) -> str:
        """Where the config was loaded from ("" for a config built in code)."""
        return self.__dict__.get("_name_or_path", "")

    @name_or_path.setter
    def name_or_path(self, value: str | os.PathLike) -> None:
        self.__dict__["_name_or_path"] = str(value)

    @property
    def pruned_heads(self) -> dict[int, list[int]]:
        """Attention heads removed per layer (tfx models prune none unless told)."""
        return self.__dict__.setdefault("_pruned_heads", {})

    @pruned_heads.setter
    def pruned_heads(self, value: dict) -> None:
        try:
            heads = {int(k): [int(h) for h in v] for k, v in dict(value).items()}
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"config field 'pruned_heads' must map layer ids to lists of head ids, got {value!r}."
            ) from exc
        self.__dict__["_pruned_heads"] = heads

    # ------------------------------------------------------------ dicts and strings
    def to_diff_dict(self) -> dict[str, Any]:
        """What `config.json` needs, by the reference's rule: every field the base config does
        not have, and the base fields whose value differs from the base or class default."""
        from tfx_core.config import PretrainedConfig

        full = self.to_dict()
        base = PretrainedConfig().to_dict()
        base.pop("use_cache", None)  # each model's own field in the reference: always written
        try:
            own = type(self)().to_dict()
        except (ConfigError, TypeError):  # a class whose fields have no defaults
            own = {}
        return {
            key: value
            for key, value in full.items()
            if key not in base or value != base[key] or value != own.get(key, value)
        }

    def dict_dtype_to_str(self, d: dict[str, Any]) -> None:
        """Turn torch dtypes in `d` (nested dicts too) into their names, in place."""
        dtype = d.get("dtype")
        if dtype is not None and not isinstance(dtype, (str, int, dict)):
            d["dtype"] = str(dtype).split(".")[-1]
        for value in d.values():
            if isinstance(value, dict):
                self.dict_dtype_to_str(value)

    def update_from_string(self, update_str: str) -> None:
        """Apply `"key=value,key=value"`: each key must exist; values take the old one's type
        (bool, int, float or str)."""
        for item in update_str.split(","):
            key, sep, text = item.partition("=")
            if not sep or not key:
                raise ConfigError(f"update_from_string expects 'key=value' pairs, got {item!r}.")
            if not hasattr(self, key):
                raise ConfigError(f"key {key!r} isn't in the original config; cannot update it.")
            old = getattr(self, key)
            value: Any = text
            if isinstance(old, bool):
                if text.lower() not in _TRUE + _FALSE:
                    raise ConfigError(f"can't derive true or false from {text!r} (key {key!r}).")
                value = text.lower() in _TRUE
            elif isinstance(old, (int, float)):
                try:
                    value = type(old)(text)
                except ValueError as exc:
                    raise ConfigError(
                        f"{key!r} is a {type(old).__name__}; {text!r} is not one."
                    ) from exc
            elif not isinstance(old, str):
                raise ConfigError(
                    f"update_from_string can only set int, float, bool or string fields; "
                    f"{key!r} holds {type(old).__name__}."
                )
            setattr(self, key, value)
        self.validate()

    def get_text_config(self, decoder: bool | None = None, encoder: bool | None = None) -> Any:
        """The text part of a composite config (`text_config`, `decoder`, ...), else itself."""
        both = decoder == encoder
        names = (("text_encoder",) if both or encoder else ()) + (
            ("decoder", "generator", "text_config") if both or decoder else ()
        )
        found = [n for n in names if getattr(self, n, None) is not None]
        if len(found) > 1:
            raise ConfigError(
                f"Several text configs were found ({', '.join(found)}); use the one you need "
                "directly, e.g. config.text_config."
            )
        return getattr(self, found[0]) if found else self

    # ------------------------------------------------------------ files
    def to_json_file(self, json_file_path: str | os.PathLike, use_diff: bool = True) -> None:
        """Write the config as JSON to `json_file_path` (atomically)."""
        from tfx_core.config import write_text_atomic

        write_text_atomic(Path(json_file_path), self.to_json_string(use_diff=use_diff))

    @classmethod
    def from_json_file(cls, json_file: str | os.PathLike) -> Any:
        from tfx_core.config import load_json_file

        return cls.from_dict(load_json_file(json_file, what="config"))

    @classmethod
    def get_config_dict(
        cls, pretrained_model_name_or_path: str | os.PathLike, **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The parsed `config.json` of a folder, file or Hub id, and the unused kwargs."""
        hub_options = ("revision", "local_files_only", "cache_dir", "token")
        options = {k: kwargs.pop(k) for k in hub_options if k in kwargs}
        return cls.read_config_file(pretrained_model_name_or_path, **options), kwargs

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        private: bool | None = None,
        token: str | bool | None = None,
        revision: str | None = None,
    ) -> str:
        """Upload `config.json` to the Hub repository `repo_id`."""
        from tfx_core import hub

        with tempfile.TemporaryDirectory() as folder:
            self.save_pretrained(folder)
            return hub.push_to_hub(
                folder,
                repo_id,
                token=token,
                private=private,
                revision=revision,
                commit_message=commit_message or "Upload config",
            )


#: Every field the mixin gives a class-level default (a config.json may set any of them).
DEFAULT_FIELDS = (
    frozenset(LEGACY_GENERATION_DEFAULTS) | frozenset(COMMON_DEFAULTS) | {"pruned_heads"}
)
for _name, _value in {**LEGACY_GENERATION_DEFAULTS, **COMMON_DEFAULTS}.items():
    setattr(ConfigCompatMixin, _name, _value)
