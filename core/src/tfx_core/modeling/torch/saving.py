"""Saving a `PreTrainedModel`: an HF-compatible folder, written atomically, ties stored once."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from tfx_core.errors import ConfigError
from tfx_core.weights import atomic_directory, save_state_dict


class SavingMixin:
    """`save_pretrained` and the state dict it writes (mixed into `PreTrainedModel`)."""

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
            if getattr(self, "peft_config", None):  # adapters attached: save only them (PEFT)
                self._save_adapter_files(tmp)
            else:
                save_state_dict(self.state_dict_for_save(), tmp, max_shard_size=max_shard_size)
            self._save_extra_files(tmp)
        return target

    def _save_extra_files(self, folder: Path) -> None:
        """Hook for mixins to add files to a save (e.g. generation_config.json)."""
