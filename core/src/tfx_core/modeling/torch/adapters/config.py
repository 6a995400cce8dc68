"""`LoraConfig`: the settings of one LoRA adapter, read from and written to PEFT's
`adapter_config.json` (same keys), so adapters trained with PEFT load in tfx and back.

Options PEFT has and tfx does not run (DoRA, per-layer rank patterns, ...) are accepted at their
default values and refused otherwise, with the option named; other keys are kept and written
back unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from tfx_core.errors import ConfigError

CONFIG_NAME = "adapter_config.json"
BIASES = ("none", "all", "lora_only")
#: PEFT options tfx does not implement, with the value that means "off".
UNSUPPORTED: dict[str, Any] = {
    "use_dora": False,
    "layers_to_transform": None,
    "layers_pattern": None,
    "rank_pattern": {},
    "alpha_pattern": {},
    "exclude_modules": None,
    "lora_bias": False,
    "target_parameters": None,
    "trainable_token_indices": None,
    "layer_replication": None,
    "use_qalora": False,
    "alora_invocation_tokens": None,
    "use_bdlora": None,
}


@dataclasses.dataclass
class LoraConfig:
    """One LoRA adapter: rank `r`, scale `lora_alpha / r` (`/ sqrt(r)` with `use_rslora`),
    the modules it adapts (`target_modules`: names matched as a suffix of a module's path, a
    regular expression matched against the whole path, or "all-linear"), dropout on the
    adapter's input, which biases train with it (`bias`), and whole modules trained and saved
    with it (`modules_to_save`)."""

    r: int = 8
    lora_alpha: float = 8
    target_modules: list[str] | str | None = None
    lora_dropout: float = 0.0
    bias: str = "none"
    fan_in_fan_out: bool = False
    modules_to_save: list[str] | None = None
    use_rslora: bool = False
    init_lora_weights: bool | str = True
    inference_mode: bool = False
    task_type: str | None = None
    base_model_name_or_path: str | None = None
    revision: str | None = None
    peft_type: str = "LORA"
    #: keys of the file tfx does not use, written back unchanged
    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.peft_type = str(getattr(self.peft_type, "value", self.peft_type))
        self.task_type = getattr(self.task_type, "value", self.task_type)
        if isinstance(self.target_modules, (set, tuple)):
            self.target_modules = sorted(self.target_modules)
        if isinstance(self.modules_to_save, (set, tuple)):
            self.modules_to_save = list(self.modules_to_save)
        self.validate()

    def validate(self) -> None:
        """Refuse what tfx cannot run, saying which option and what to do."""
        if self.peft_type != "LORA":
            raise ConfigError(
                f"peft_type {self.peft_type!r} is not supported: tfx adapters are LoRA only "
                '(peft_type "LORA").'
            )
        if isinstance(self.r, bool) or not isinstance(self.r, int) or self.r <= 0:
            raise ConfigError(f"LoRA rank r must be a positive integer, got {self.r!r}.")
        if not self.target_modules:
            raise ConfigError(
                "LoraConfig needs target_modules: the names of the linear layers to adapt "
                '(e.g. ["query", "value"]), a regular expression, or "all-linear".'
            )
        if self.bias not in BIASES:
            raise ConfigError(f"bias must be one of {', '.join(BIASES)}, got {self.bias!r}.")
        if not 0.0 <= float(self.lora_dropout) < 1.0:
            raise ConfigError(f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}.")
        if self.init_lora_weights not in (True, False, "gaussian"):
            raise ConfigError(
                f"init_lora_weights={self.init_lora_weights!r} is not supported by tfx; use "
                'True (PEFT\'s default), False or "gaussian".'
            )
        for key, off in UNSUPPORTED.items():
            if self.extra.get(key, off) not in (off, None, False, {}, []):
                raise ConfigError(
                    f"The adapter sets {key}={self.extra[key]!r}, which tfx's LoRA does not "
                    "implement; use an adapter without it."
                )

    @property
    def scaling(self) -> float:
        """The factor on the adapter's output."""
        return self.lora_alpha / (self.r**0.5 if self.use_rslora else self.r)

    # ------------------------------------------------------------------ dicts and files
    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> LoraConfig:
        names = {field.name for field in dataclasses.fields(cls)} - {"extra"}
        known = {key: value for key, value in values.items() if key in names}
        extra = {key: value for key, value in values.items() if key not in names}
        return cls(**known, extra=extra)

    @classmethod
    def from_any(cls, config: Any) -> LoraConfig:
        """A `LoraConfig` from itself, a dict, or any config object with `to_dict()` (PEFT's)."""
        if isinstance(config, cls):
            return config
        if isinstance(config, dict):
            return cls.from_dict(config)
        if hasattr(config, "to_dict"):
            return cls.from_dict(config.to_dict())
        raise ConfigError(
            f"adapter_config must be a LoraConfig (tfx's or PEFT's) or a dict, got "
            f"{type(config).__name__}."
        )

    def to_dict(self) -> dict[str, Any]:
        values = {**UNSUPPORTED, **self.extra}
        for field in dataclasses.fields(self):
            if field.name != "extra":
                values[field.name] = getattr(self, field.name)
        return dict(sorted(values.items()))

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike) -> LoraConfig:
        """Read `adapter_config.json` from a folder."""
        path = Path(folder) / CONFIG_NAME
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                f"{folder} has no {CONFIG_NAME}: pass the folder of a saved LoRA adapter."
            ) from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid JSON: {exc}.") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"{path} must hold a JSON object.")
        return cls.from_dict(values)

    def save_pretrained(self, folder: str | os.PathLike) -> None:
        """Write `adapter_config.json` into `folder`."""
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        (Path(folder) / CONFIG_NAME).write_text(text + "\n", encoding="utf-8")
