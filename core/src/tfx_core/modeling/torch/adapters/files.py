"""PEFT's adapter files: `adapter_config.json` + `adapter_model.safetensors`."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.adapters.config import CONFIG_NAME, LoraConfig

WEIGHTS_NAME = "adapter_model.safetensors"
PICKLE_NAME = "adapter_model.bin"
PEFT_PREFIX = "base_model.model."


def read_adapter(
    path_or_repo_id: str | os.PathLike,
    *,
    revision: str | None = None,
    token: str | bool | None = None,
) -> tuple[LoraConfig, dict[str, torch.Tensor]]:
    """The config and weights of a saved adapter (a local folder or a Hub repository)."""
    from safetensors.torch import load_file

    from tfx_core import hub
    from tfx_core.weights.header import read_header

    folder = hub.resolve_snapshot(
        path_or_repo_id,
        revision=revision,
        token=token,
        allow_patterns=[CONFIG_NAME, WEIGHTS_NAME, PICKLE_NAME],
    )
    config = LoraConfig.from_pretrained(folder)
    weights = Path(folder) / WEIGHTS_NAME
    if not weights.is_file():
        extra = (
            f" (it has {PICKLE_NAME}, a pickle file tfx does not load: re-save it with safetensors)"
            if (Path(folder) / PICKLE_NAME).is_file()
            else ""
        )
        raise ConfigError(f"{path_or_repo_id} has no {WEIGHTS_NAME}{extra}.")
    read_header(weights)  # a typed error for a truncated or malformed file
    return config, load_file(str(weights))


def adapter_base_model(folder: Path) -> str | None:
    """For a folder holding only an adapter (no model weights), the base model it names
    (`base_model_name_or_path`); None for a model folder."""
    from tfx_core.weights.files import is_weight_file

    if not (folder / CONFIG_NAME).is_file():
        return None
    if any(p.name != WEIGHTS_NAME and is_weight_file(p.name) for p in folder.iterdir()):
        return None
    base = LoraConfig.from_pretrained(folder).base_model_name_or_path
    if not base or Path(base).resolve() == folder.resolve():
        raise ConfigError(
            f"{folder} holds an adapter without model weights and names no other base model "
            "(base_model_name_or_path): load the base model, then model.load_adapter(folder)."
        )
    return base


def write_adapter(folder: Path, config: LoraConfig, state: dict[str, torch.Tensor]) -> None:
    """Write `config` and `state` (PEFT keys without the prefix) into `folder` as PEFT does."""
    from safetensors.torch import save_file

    tensors = {
        PEFT_PREFIX + key: value.detach().contiguous().clone() for key, value in state.items()
    }
    save_file(tensors, str(Path(folder) / WEIGHTS_NAME), metadata={"format": "pt"})
    config.save_pretrained(folder)


__all__ = ["PEFT_PREFIX", "WEIGHTS_NAME", "adapter_base_model", "read_adapter", "write_adapter"]
