"""`GenerationConfig`: how `generate` decodes, stored as a Hugging Face `generation_config.json`.

Field names, defaults and the file format are the reference library's, so a checkpoint's file
loads here unchanged and what tfx writes loads there: only values that differ from the defaults
are written, unknown keys are kept and written back. Like `PretrainedConfig`, it is data only and
imports no framework.

Validation has two levels. `validate()` rejects values that are wrong in any mode (raising
`GenerationError`) and, with `strict=True` (as at save time), also combinations that would be
silently ignored (e.g. `temperature` without `do_sample`). `generate` adds the checks that need
the model and the prompt.
"""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.generation.config_compat import GenerationConfigCompatMixin

GENERATION_CONFIG_NAME = "generation_config.json"

#: Every field of the reference's GenerationConfig with its default, grouped as it documents them.
DEFAULTS: dict[str, Any] = {
    # length of the output
    "max_length": 20,
    "max_new_tokens": None,
    "min_length": 0,
    "min_new_tokens": None,
    "early_stopping": False,
    "max_time": None,
    "stop_strings": None,
    # decoding strategy
    "do_sample": False,
    "num_beams": 1,
    # cache
    "use_cache": True,
    "cache_implementation": None,
    "cache_config": None,
    "return_legacy_cache": None,
    "prefill_chunk_size": None,
    # logits manipulation
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
    "min_p": None,
    "typical_p": 1.0,
    "epsilon_cutoff": 0.0,
    "eta_cutoff": 0.0,
    "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0,
    "length_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "bad_words_ids": None,
    "renormalize_logits": False,
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "remove_invalid_values": False,
    "exponential_decay_length_penalty": None,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
    "sequence_bias": None,
    "token_healing": False,
    "guidance_scale": None,
    "watermarking_config": None,
    # outputs of generate
    "num_return_sequences": 1,
    "output_attentions": False,
    "output_hidden_states": False,
    "output_scores": False,
    "output_logits": None,
    "return_dict_in_generate": False,
    # special tokens
    "pad_token_id": None,
    "bos_token_id": None,
    "eos_token_id": None,
    # encoder-decoder models
    "encoder_no_repeat_ngram_size": 0,
    "decoder_start_token_id": None,
    # assisted generation
    "is_assistant": False,
    "num_assistant_tokens": 20,
    "num_assistant_tokens_schedule": "constant",
    "assistant_confidence_threshold": 0.4,
    "prompt_lookup_num_tokens": None,
    "max_matching_ngram_size": None,
    "assistant_early_exit": None,
    "assistant_lookbehind": 10,
    "target_lookbehind": 10,
    # performance
    "disable_compile": False,
    # deprecated in the reference, kept so files round-trip
    "low_memory": None,
    "penalty_alpha": None,
    "dola_layers": None,
    "diversity_penalty": 0.0,
    "num_beam_groups": 1,
    "constraints": None,
    "force_words_ids": None,
}

#: Fields tfx's generate implements; any other field at a non-default value is refused there.
SUPPORTED_FIELDS = frozenset(
    {
        "max_length",
        "max_new_tokens",
        "min_length",
        "min_new_tokens",
        "early_stopping",
        "stop_strings",
        "do_sample",
        "num_beams",
        "use_cache",
        "cache_implementation",
        "temperature",
        "top_k",
        "top_p",
        "min_p",
        "repetition_penalty",
        "length_penalty",
        "no_repeat_ngram_size",
        "encoder_no_repeat_ngram_size",
        "suppress_tokens",
        "begin_suppress_tokens",
        "forced_bos_token_id",
        "forced_eos_token_id",
        "num_return_sequences",
        "output_scores",
        "output_logits",
        "return_dict_in_generate",
        "pad_token_id",
        "bos_token_id",
        "eos_token_id",
        "decoder_start_token_id",
        "disable_compile",
        "bad_words_ids",
        "sequence_bias",
        "typical_p",
        "epsilon_cutoff",
        "eta_cutoff",
        "exponential_decay_length_penalty",
        "encoder_repetition_penalty",
        "remove_invalid_values",
        "renormalize_logits",
        "guidance_scale",
        "max_time",
        "watermarking_config",
        "prompt_lookup_num_tokens",
        "max_matching_ngram_size",
        # inert: informative or only meaningful for other strategies at their defaults
        "output_attentions",
        "output_hidden_states",
        "is_assistant",
        "num_assistant_tokens",
        "num_assistant_tokens_schedule",
        "assistant_confidence_threshold",
        "assistant_lookbehind",
        "target_lookbehind",
        "return_legacy_cache",
        "cache_config",
    }
)

CACHE_IMPLEMENTATIONS = ("dynamic", "static")
#: Keys that describe the file rather than decoding (ignored by equality).
METADATA_FIELDS = (
    "_from_model_config",
    "_commit_hash",
    "_original_object_hash",
    "transformers_version",
)
#: Arguments of `generate` people put in the config by mistake.
_GENERATE_ARGUMENTS = (
    "logits_processor",
    "stopping_criteria",
    "prefix_allowed_tokens_fn",
    "synced_gpus",
    "assistant_model",
    "streamer",
    "negative_prompt_ids",
    "negative_prompt_attention_mask",
    "use_model_defaults",
)
_SAMPLING_FIELDS = {
    "temperature": 1.0,
    "top_p": 1.0,
    "min_p": None,
    "typical_p": 1.0,
    "top_k": 50,
    "epsilon_cutoff": 0.0,
    "eta_cutoff": 0.0,
}


#: Immutable values a deep copy shares.
_ATOMIC = frozenset({type(None), bool, int, float, str})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class GenerationConfig(GenerationConfigCompatMixin):
    """Decoding parameters; keyword arguments are the reference's field names."""

    def __init__(self, **kwargs: Any) -> None:
        from_model_config = bool(kwargs.pop("_from_model_config", False))
        for key, default in DEFAULTS.items():
            setattr(self, key, copy.deepcopy(kwargs.pop(key, default)))
        self._from_model_config = from_model_config
        self._commit_hash = kwargs.pop("_commit_hash", None)
        self.transformers_version = kwargs.pop("transformers_version", None)
        compile_config = kwargs.pop("compile_config", None)  # a runtime object; never written
        if compile_config is not None:
            self.__dict__["compile_config"] = compile_config
        kwargs.pop("tfx_version", None)
        if not from_model_config:  # unknown keys are kept (and written back)
            for key, value in kwargs.items():
                setattr(self, key, value)
        self.validate()

    # ------------------------------------------------------------------ checks
    def validate(self, strict: bool = False) -> None:
        """Raise `GenerationError` for invalid values; `strict` also refuses ignored settings."""
        if self.early_stopping not in (True, False, "never"):
            raise GenerationError(
                f"early_stopping must be True, False or 'never', got {self.early_stopping!r}."
            )
        for name in ("max_new_tokens", "max_length"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value <= 0):
                raise GenerationError(f"{name} must be a positive int, got {value!r}.")
        for name in ("min_length", "min_new_tokens", "no_repeat_ngram_size"):
            value = getattr(self, name)
            if value is not None and (not _is_int(value) or value < 0):
                raise GenerationError(f"{name} must be an int >= 0, got {value!r}.")
        if not _is_int(self.num_beams) or self.num_beams < 1:
            raise GenerationError(
                f"num_beams must be an int >= 1, got {self.num_beams!r} (1 means no beam search)."
            )
        if not _is_int(self.num_return_sequences) or self.num_return_sequences < 1:
            raise GenerationError(
                f"num_return_sequences must be an int >= 1, got {self.num_return_sequences!r}."
            )
        if self.num_return_sequences != 1:
            if self.num_beams == 1 and not self.do_sample:
                raise GenerationError(
                    f"Greedy decoding returns one sequence per prompt, but num_return_sequences="
                    f"{self.num_return_sequences}. Use beam search (num_beams >= "
                    f"{self.num_return_sequences}) or sampling (do_sample=True)."
                )
            if self.num_beams > 1 and self.num_return_sequences > self.num_beams:
                raise GenerationError(
                    f"num_return_sequences ({self.num_return_sequences}) must be <= num_beams "
                    f"({self.num_beams}): beam search can only return the beams it keeps."
                )
        if self.cache_implementation is not None and (
            self.cache_implementation not in CACHE_IMPLEMENTATIONS
        ):
            raise GenerationError(
                f"cache_implementation must be one of {', '.join(CACHE_IMPLEMENTATIONS)} or None, "
                f"got {self.cache_implementation!r}."
            )
        if self.repetition_penalty is not None and (
            not _is_number(self.repetition_penalty) or self.repetition_penalty <= 0
        ):
            raise GenerationError(
                f"repetition_penalty must be a number > 0 (1.0 = no penalty), got "
                f"{self.repetition_penalty!r}."
            )
        if self.length_penalty is not None and not _is_number(self.length_penalty):
            raise GenerationError(f"length_penalty must be a number, got {self.length_penalty!r}.")
        if self.stop_strings is not None and not (
            isinstance(self.stop_strings, str)
            or (
                isinstance(self.stop_strings, (list, tuple))
                and all(isinstance(s, str) and s for s in self.stop_strings)
            )
        ):
            raise GenerationError(
                f"stop_strings must be a string or a list of non-empty strings, got "
                f"{self.stop_strings!r}."
            )
        self._validate_token_ids()
        for name in _GENERATE_ARGUMENTS:
            if name in self.__dict__:
                raise GenerationError(
                    f"{name!r} is an argument of generate(), not a GenerationConfig field: pass it "
                    "to generate() directly."
                )
        if strict:
            issues = self._ignored_settings()
            if issues:
                raise GenerationError(
                    "GenerationConfig has settings that would be ignored:\n- "
                    + "\n- ".join(issues)
                    + "\nFix them (or remove them) to save this configuration."
                )

    def _validate_token_ids(self) -> None:
        for name in ("pad_token_id", "bos_token_id", "decoder_start_token_id"):
            value = getattr(self, name)
            if value is not None and not _is_int(value) and not isinstance(value, list):
                raise GenerationError(f"{name} must be an int or None, got {value!r}.")
        eos = self.eos_token_id
        if eos is not None:
            ids = eos if isinstance(eos, list) else [eos]
            if not ids or not all(_is_int(i) for i in ids):
                raise GenerationError(
                    f"eos_token_id must be an int or a non-empty list of ints, got {eos!r}."
                )

    def _ignored_settings(self) -> list[str]:
        """Settings that have no effect in the selected mode (reference: 'minor issues')."""
        issues = []
        if self.do_sample is False:
            for name, default in _SAMPLING_FIELDS.items():
                value = getattr(self, name)
                if value is not None and value != default:
                    issues.append(f"{name}={value!r} is only used with do_sample=True.")
        if self.num_beams == 1:
            if self.early_stopping is not False:
                issues.append(
                    f"early_stopping={self.early_stopping!r} is only used with num_beams > 1."
                )
            if self.length_penalty is not None and self.length_penalty != 1.0:
                issues.append(
                    f"length_penalty={self.length_penalty!r} is only used with num_beams > 1."
                )
        if self.return_dict_in_generate is not True:
            for name in (
                "output_attentions",
                "output_hidden_states",
                "output_scores",
                "output_logits",
            ):
                if getattr(self, name) is True:
                    issues.append(f"{name}=True is only used with return_dict_in_generate=True.")
        return issues

    def validate_for_generation(self) -> None:
        """Checks that matter once decoding starts (sampling parameters, unsupported features)."""
        self.validate()
        if self.do_sample:
            temperature = self.temperature
            if temperature is not None and (not _is_number(temperature) or temperature <= 0):
                raise GenerationError(
                    f"temperature must be > 0 when sampling, got {temperature!r}. For greedy "
                    "decoding set do_sample=False."
                )
            top_p = self.top_p
            if top_p is not None and (not _is_number(top_p) or not 0.0 < top_p <= 1.0):
                raise GenerationError(f"top_p must be in (0, 1], got {top_p!r}.")
            top_k = self.top_k
            if top_k is not None and (not _is_int(top_k) or top_k < 0):
                raise GenerationError(f"top_k must be an int >= 0 (0 = off), got {top_k!r}.")
            min_p = self.min_p
            if min_p is not None and (not _is_number(min_p) or not 0.0 <= min_p <= 1.0):
                raise GenerationError(f"min_p must be in [0, 1], got {min_p!r}.")
        unsupported = [
            name
            for name, default in DEFAULTS.items()
            if name not in SUPPORTED_FIELDS and getattr(self, name) != default
        ]
        if unsupported:
            raise GenerationError(
                "tfx's generate does not implement "
                + ", ".join(f"{name}={getattr(self, name)!r}" for name in unsupported)
                + ". Reset them to their defaults (or use the reference library for them)."
            )

    # ------------------------------------------------------------------ updates
    def update(self, **kwargs: Any) -> dict[str, Any]:
        """Set the given fields; return the keyword arguments that are not fields."""
        unused = {}
        for key, value in kwargs.items():
            if key in DEFAULTS or key in self.__dict__:
                setattr(self, key, value)
            else:
                unused[key] = value
        self.validate()
        return unused

    def copy(self) -> GenerationConfig:
        return copy.deepcopy(self)

    def get_generation_mode(self) -> str:
        """'greedy_search', 'sample', 'beam_search' or 'beam_sample'."""
        if self.num_beams == 1:
            return "sample" if self.do_sample else "greedy_search"
        return "beam_sample" if self.do_sample else "beam_search"

    # ------------------------------------------------------------------ dict / json
    def to_dict(self) -> dict[str, Any]:
        """Every field, the reference's key conventions included."""
        output = {
            key: copy.deepcopy(value)
            for key, value in self.__dict__.items()
            if key != "compile_config"  # a runtime object, as in the reference
        }
        output.pop("_commit_hash", None)
        output.pop("_original_object_hash", None)
        from tfx_core import __version__

        output["tfx_version"] = __version__
        if output.get("transformers_version") is None:
            output.pop("transformers_version", None)
        return output

    def to_diff_dict(self) -> dict[str, Any]:
        """Only the fields that differ from a fresh `GenerationConfig()` (what files hold)."""
        defaults = GenerationConfig().to_dict()
        return {
            key: value
            for key, value in self.to_dict().items()
            if key not in defaults
            or key in ("tfx_version", "transformers_version")
            or value != defaults[key]
        }

    def to_json_string(self, use_diff: bool = True, ignore_metadata: bool = False) -> str:
        data = self.to_diff_dict() if use_diff else self.to_dict()
        if ignore_metadata:
            for key in (*METADATA_FIELDS, "tfx_version"):
                data.pop(key, None)
        return json.dumps(_json_ready(data), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, config_dict: dict[str, Any], **kwargs: Any) -> GenerationConfig:
        if not isinstance(config_dict, dict):
            raise GenerationError(
                f"A generation config must be a JSON object, got {type(config_dict).__name__}."
            )
        return cls(**{**config_dict, **kwargs})

    @classmethod
    def from_model_config(cls, model_config: Any) -> GenerationConfig:
        """Defaults for a model without `generation_config.json`: its config's generation fields.

        As in the reference, only known generation fields are taken (special token ids,
        `use_cache`, and legacy keys such as `max_length` or `num_beams` found in old configs);
        values that are None leave the default in place.
        """
        data = model_config.to_dict() if hasattr(model_config, "to_dict") else dict(model_config)
        data = {key: value for key, value in data.items() if key in DEFAULTS and value is not None}
        try:
            config = cls(**data, _from_model_config=True)
        except GenerationError:  # a legacy config with invalid generation values: keep the ids
            ids = ("bos_token_id", "eos_token_id", "pad_token_id", "decoder_start_token_id")
            config = cls(**{k: v for k, v in data.items() if k in ids}, _from_model_config=True)
        outputs = ("output_attentions", "output_hidden_states", "output_scores", "output_logits")
        if any(getattr(config, name) is True for name in outputs):
            config.return_dict_in_generate = True
        return config

    # ------------------------------------------------------------------ files
    def save_pretrained(
        self, save_directory: str | os.PathLike, config_file_name: str = GENERATION_CONFIG_NAME
    ) -> Path:
        """Write `generation_config.json` (after a strict validation, like the reference)."""
        self.validate(strict=True)
        folder = Path(save_directory)
        if folder.exists() and not folder.is_dir():
            raise GenerationError(f"Cannot save into {folder}: it is a file, not a folder.")
        folder.mkdir(parents=True, exist_ok=True)
        from tfx_core.config import write_text_atomic

        target = folder / config_file_name
        write_text_atomic(target, self.to_json_string(use_diff=True))
        return target

    @classmethod
    def from_pretrained(
        cls,
        path_or_id: str | os.PathLike,
        config_file_name: str = GENERATION_CONFIG_NAME,
        *,
        revision: str | None = None,
        local_files_only: bool | None = None,
        cache_dir: str | os.PathLike | None = None,
        token: str | bool | None = None,
        **kwargs: Any,
    ) -> GenerationConfig:
        """Load `generation_config.json` from a folder, a file, or a Hub id."""
        path = Path(path_or_id)
        if path.is_file():
            config_file = path
        else:
            from tfx_core import hub

            config_file = hub.resolve_file(
                path_or_id,
                config_file_name,
                revision=revision,
                local_files_only=local_files_only,
                cache_dir=cache_dir,
                token=token,
            )
        from tfx_core.config import load_json_file

        try:
            data = load_json_file(config_file, what="generation config")
        except ConfigError as exc:
            raise GenerationError(str(exc)) from exc
        return cls.from_dict(data, **kwargs)

    # ------------------------------------------------------------------ dunder
    def __deepcopy__(self, memo: dict[int, Any]) -> GenerationConfig:
        """`copy.deepcopy`'s result, without its per-value dispatch for the many plain values
        (every `generate` copies its config)."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        values = clone.__dict__
        for key, value in self.__dict__.items():
            values[key] = value if type(value) in _ATOMIC else copy.deepcopy(value, memo)
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GenerationConfig):
            return False
        return self.to_json_string(use_diff=False, ignore_metadata=True) == other.to_json_string(
            use_diff=False, ignore_metadata=True
        )

    def __hash__(self) -> int:
        return hash(self.to_json_string(ignore_metadata=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__} {self.to_json_string(ignore_metadata=True)}"


def _json_ready(value: Any) -> Any:
    """JSON keys must be strings (e.g. `sequence_bias` tuples); objects with to_dict are dicts."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if hasattr(value, "to_dict"):
        return _json_ready(value.to_dict())
    return value


def warn_ignored_settings(config: GenerationConfig) -> None:
    """Tell the user once about settings the chosen mode ignores (not an error at run time)."""
    issues = config._ignored_settings()
    if issues:
        warnings.warn(
            "Some generation settings will be ignored: " + " ".join(issues),
            UserWarning,
            stacklevel=3,
        )
