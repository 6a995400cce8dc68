"""The reference's adapter methods of `PreTrainedModel`, on tfx's own LoRA layers.

`add_adapter`, `load_adapter`, `set_adapter`, `enable_adapters` / `disable_adapters`,
`delete_adapter`, `active_adapters` and `get_adapter_state_dict` behave as the reference's
(which delegate to PEFT), and read and write PEFT's files: `adapter_config.json` and
`adapter_model.safetensors` with keys `base_model.model.<module path>.lora_A.weight`, ...
PEFT is not needed at run time.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError, LoadError
from tfx_core.modeling.torch.adapters.config import LoraConfig
from tfx_core.modeling.torch.adapters.files import PEFT_PREFIX, read_adapter, write_adapter
from tfx_core.modeling.torch.adapters.lora import LoraLayer, ModulesToSave, add_lora, remove_lora

_INTERNAL = re.compile(r"\.(lora_A|lora_B|lora_dropout|modules_to_save|original_module)(\.|$)")


def _linear_kinds() -> tuple[type, ...]:
    from tfx_core.modeling.torch.conv1d import Conv1D

    return (nn.Linear, Conv1D)


def _matches(name: str, targets: list[str] | str) -> bool:
    if isinstance(targets, str):
        return re.fullmatch(targets, name) is not None
    return any(name == target or name.endswith(f".{target}") for target in targets)


class AdapterMixin:
    """LoRA adapters on a `PreTrainedModel` (PyTorch), with the reference's method names."""

    # ------------------------------------------------------------------ state
    @property
    def peft_config(self) -> dict[str, LoraConfig]:
        """Adapter name -> its config, for every adapter attached."""
        return self.__dict__.setdefault("_peft_config", {})

    @property
    def _hf_peft_config_loaded(self) -> bool:
        return bool(self.peft_config)

    def _require_adapters(self) -> None:
        if not self.peft_config:
            raise ConfigError("No adapter loaded: add_adapter() or load_adapter() first.")

    def _adapted_modules(self) -> list[tuple[str, nn.Module]]:
        return [
            (name, module)
            for name, module in self.named_modules()
            if isinstance(module, (LoraLayer, ModulesToSave))
        ]

    # ------------------------------------------------------------------ attach
    def _targets(self, config: LoraConfig) -> list[tuple[str, nn.Module]]:
        """The linear layers `config.target_modules` names; refuses names matching nothing or
        matching a module LoRA cannot adapt."""
        kinds = _linear_kinds()
        found, refused = [], []
        output = self.get_output_embeddings() if config.target_modules == "all-linear" else None
        for name, module in self.named_modules():
            if not name or _INTERNAL.search(name):
                continue
            if config.target_modules == "all-linear":
                if isinstance(module, kinds) and module is not output:
                    found.append((name, module))
            elif _matches(name, config.target_modules):
                (found if isinstance(module, kinds) else refused).append((name, module))
        if refused:
            name, module = refused[0]
            raise ConfigError(
                f"target_modules selects {name!r}, a {type(module).__name__}: LoRA adapts linear "
                "layers only; name the linear layers inside it."
            )
        if not found:
            linears = sorted(
                {n.rsplit(".", 1)[-1] for n, m in self.named_modules() if isinstance(m, kinds)}
            )
            raise ConfigError(
                f"target_modules {config.target_modules!r} matches no linear layer of "
                f"{type(self).__name__}; its linear layers are named: {', '.join(linears)}."
            )
        return found

    def add_adapter(self, adapter_config: Any, adapter_name: str | None = None) -> None:
        """Attach a new, freshly initialised LoRA adapter and make it the active one; only
        adapter weights (and the biases / modules the config names) stay trainable."""
        name = adapter_name or "default"
        self._attach(LoraConfig.from_any(adapter_config), name)
        self.set_adapter(name)
        self._mark_trainable(name)

    def _attach(self, config: LoraConfig, name: str) -> None:
        if not isinstance(name, str) or not name or "." in name:
            raise ConfigError(
                f"An adapter name must be a non-empty string without dots, got {name!r}."
            )
        if name in self.peft_config:
            raise ConfigError(f"An adapter named {name!r} already exists; use a different name.")
        targets = self._targets(config)
        saved = []
        for module_name in config.modules_to_save or []:
            matches = [
                (n, m)
                for n, m in self.named_modules()
                if n and not _INTERNAL.search(n) and _matches(n, [module_name])
            ]
            if not matches:
                raise ConfigError(
                    f"modules_to_save names {module_name!r}, which {type(self).__name__} does not have."
                )
            saved.extend(matches)
        for _, module in targets:
            add_lora(module, name, config)
        for path, module in saved:
            if not isinstance(module, ModulesToSave):
                parent_path, _, child = path.rpartition(".")
                module = ModulesToSave(module)
                setattr(self.get_submodule(parent_path), child, module)
            module.add(name)
        self.peft_config[name] = config

    def _mark_trainable(self, name: str) -> None:
        config = self.peft_config[name]
        for param_name, param in self.named_parameters():
            if ".lora_" in param_name or ".modules_to_save." in param_name:
                if f".{name}." in param_name:
                    param.requires_grad_(True)
            else:
                param.requires_grad_(False)
        if config.bias == "all":
            for param_name, param in self.named_parameters():
                if param_name.endswith("bias") and not _INTERNAL.search(param_name):
                    param.requires_grad_(True)
        elif config.bias == "lora_only":
            for _, module in self._adapted_modules():
                if (
                    isinstance(module, LoraLayer)
                    and name in module.lora_A
                    and module.bias is not None
                ):
                    module.bias.requires_grad_(True)

    # ------------------------------------------------------------------ switch
    def set_adapter(self, adapter_name: list[str] | str) -> None:
        """Make `adapter_name` (or several, summed) the active adapter(s)."""
        self._require_adapters()
        names = [adapter_name] if isinstance(adapter_name, str) else list(adapter_name)
        unknown = [n for n in names if n not in self.peft_config]
        if unknown:
            raise ConfigError(
                f"Adapter(s) {', '.join(map(repr, unknown))} not found; loaded adapters: "
                f"{', '.join(self.peft_config)}."
            )
        for _, module in self._adapted_modules():
            module.active_adapters = list(names)

    def _switch(self, disabled: bool) -> None:
        self._require_adapters()
        for _, module in self._adapted_modules():
            module.adapters_disabled = disabled

    def disable_adapters(self) -> None:
        """Run the base model alone (adapters kept)."""
        self._switch(True)

    def enable_adapters(self) -> None:
        """Run the active adapters again after `disable_adapters`."""
        self._switch(False)

    def active_adapters(self) -> list[str]:
        """Names of the active adapters."""
        self._require_adapters()
        for _, module in self._adapted_modules():
            return list(module.active_adapters)
        return []

    def delete_adapter(self, adapter_names: list[str] | str) -> None:
        """Remove adapters (their layers and weights); the model is plain again without any."""
        self._require_adapters()
        names = [adapter_names] if isinstance(adapter_names, str) else list(adapter_names)
        unknown = [n for n in names if n not in self.peft_config]
        if unknown:
            raise ConfigError(
                f"Adapter(s) {', '.join(map(repr, unknown))} not found; loaded adapters: "
                f"{', '.join(self.peft_config)}."
            )
        for name in names:
            for path, module in self._adapted_modules():
                if isinstance(module, LoraLayer) and name in module.lora_A:
                    remove_lora(module, name)
                elif isinstance(module, ModulesToSave) and name in module.modules_to_save:
                    del module.modules_to_save[name]
                    module.active_adapters = [n for n in module.active_adapters if n != name]
                    if not len(module.modules_to_save):
                        parent_path, _, child = path.rpartition(".")
                        setattr(self.get_submodule(parent_path), child, module.original_module)
            del self.peft_config[name]

    def merge_adapter(self) -> None:
        """Fold the active adapters into the base weights (same outputs, no extra cost)."""
        self._require_adapters()
        for _, module in self._adapted_modules():
            if isinstance(module, LoraLayer):
                module.merge([n for n in module.active_adapters if n in module.lora_A])

    def unmerge_adapter(self) -> None:
        """Undo `merge_adapter`."""
        for _, module in self._adapted_modules():
            if isinstance(module, LoraLayer):
                module.unmerge()

    # ------------------------------------------------------------------ state dicts
    def _adapter_tensors(self, name: str) -> dict[str, torch.Tensor]:
        """PEFT's key (without `base_model.model.`) -> the live tensor, for adapter `name`."""
        config = self.peft_config[name]
        tensors: dict[str, torch.Tensor] = {}
        for path, module in self._adapted_modules():
            if isinstance(module, ModulesToSave) and name in module.modules_to_save:
                for key, tensor in module.modules_to_save[name].state_dict(keep_vars=True).items():
                    tensors[f"{path}.{key}"] = tensor
            elif isinstance(module, LoraLayer) and name in module.lora_A:
                tensors[f"{path}.lora_A.weight"] = module.lora_A[name].weight
                tensors[f"{path}.lora_B.weight"] = module.lora_B[name].weight
                if config.bias == "lora_only" and module.bias is not None:
                    tensors[f"{path}.base_layer.bias"] = module.bias
        if config.bias == "all":
            lora_paths = {p for p, m in self._adapted_modules() if isinstance(m, LoraLayer)}
            for key, param in self.named_parameters():
                if key.endswith("bias") and not _INTERNAL.search(key):
                    path = key.rpartition(".")[0]
                    tensors[f"{path}.base_layer.bias" if path in lora_paths else key] = param
        return tensors

    def get_adapter_state_dict(
        self, adapter_name: str | None = None, state_dict: dict | None = None
    ) -> dict[str, torch.Tensor]:
        """Adapter `adapter_name`'s weights (the first active adapter's by default) with
        PEFT's keys, without the `base_model.model.` prefix."""
        self._require_adapters()
        name = adapter_name or self.active_adapters()[0]
        if name not in self.peft_config:
            raise ConfigError(f"No adapter named {name!r}; loaded: {', '.join(self.peft_config)}.")
        return {key: tensor.detach() for key, tensor in self._adapter_tensors(name).items()}

    # ------------------------------------------------------------------ files
    def load_adapter(
        self,
        peft_model_id: str | os.PathLike | None = None,
        adapter_name: str | None = None,
        revision: str | None = None,
        token: str | bool | None = None,
        device_map: Any = "auto",
        max_memory: Any = None,
        offload_folder: Any = None,
        offload_index: Any = None,
        peft_config: Any = None,
        adapter_state_dict: dict[str, torch.Tensor] | None = None,
        low_cpu_mem_usage: bool = False,
        is_trainable: bool = False,
        adapter_kwargs: dict[str, Any] | None = None,
    ) -> None:
        """Attach a saved adapter: a local folder or Hub id holding PEFT's files, or
        `peft_config` + `adapter_state_dict`. All keys and shapes must match, else nothing is
        attached. The first adapter becomes active; later ones wait for `set_adapter`.
        `device_map`, `max_memory`, `offload_*`, `low_cpu_mem_usage` are accepted for
        compatibility: the adapter goes where the model's weights are."""
        name = adapter_name or "default"
        if name in self.peft_config:
            raise ConfigError(f"An adapter named {name!r} already exists; use a different name.")
        if peft_model_id is None and (peft_config is None or adapter_state_dict is None):
            raise ConfigError(
                "load_adapter() needs a peft_model_id (folder or Hub id), or both peft_config "
                "and adapter_state_dict."
            )
        if peft_model_id is not None:
            file_config, file_state = read_adapter(peft_model_id, revision=revision, token=token)
            peft_config = file_config if peft_config is None else peft_config
            adapter_state_dict = file_state if adapter_state_dict is None else adapter_state_dict
        config = LoraConfig.from_any(peft_config)
        config.inference_mode = not is_trainable
        previous = self.active_adapters() if self.peft_config else [name]
        self._attach(config, name)
        try:
            self._fill_adapter(name, adapter_state_dict, peft_model_id or "adapter_state_dict")
        except Exception:
            self.delete_adapter(name)
            if self.peft_config:
                self.set_adapter(previous)
            raise
        self.set_adapter(previous)  # as the reference: a second adapter loads inactive
        self._mark_trainable(name)
        if not is_trainable:  # inference: the adapter is frozen too
            for tensor in self._adapter_tensors(name).values():
                tensor.requires_grad_(False)
            self.eval()

    def load_adapter_weights(
        self, folder: str | os.PathLike, adapter_name: str | None = None
    ) -> None:
        """Overwrite an attached adapter's weights (the active one by default) with those saved
        in `folder` (a Trainer checkpoint of an adapted model, for resuming)."""
        self._require_adapters()
        name = adapter_name or self.active_adapters()[0]
        _, state = read_adapter(folder)
        self._fill_adapter(name, state, folder)

    def _fill_adapter(self, name: str, state: dict[str, Any], origin: Any) -> None:
        targets = self._adapter_tensors(name)
        given = {key.removeprefix(PEFT_PREFIX): value for key, value in state.items()}
        aliases = {key.replace(".base_layer.", "."): key for key in targets}
        given = {
            aliases.get(key, key) if key not in targets else key: v for key, v in given.items()
        }
        unexpected = sorted(set(given) - set(targets))
        missing = sorted(k for k in set(targets) - set(given) if ".lora_" in k)
        if unexpected or missing:
            raise LoadError(
                f"The adapter from {origin} does not fit {type(self).__name__}: "
                + (f"unexpected keys {unexpected[:5]}; " if unexpected else "")
                + (f"missing keys {missing[:5]}; " if missing else "")
                + "check that it was trained for this architecture and head."
            )
        given = {key: torch.as_tensor(value) for key, value in given.items()}
        for key, value in given.items():  # all checked before anything is written
            if tuple(value.shape) != tuple(targets[key].shape):
                raise LoadError(
                    f"Adapter weight {key} has shape {tuple(value.shape)}, the model expects "
                    f"{tuple(targets[key].shape)} (different rank or model size?)."
                )
        with torch.no_grad():
            for key, value in given.items():
                targets[key].copy_(value)

    def _save_adapter_files(self, folder: Path) -> None:
        """Write the active adapter as PEFT does (into a folder being saved)."""
        active = self.active_adapters()
        if len(active) > 1:
            raise ConfigError(
                f"Several adapters are active ({', '.join(active)}); save them one at a time: "
                "set_adapter(name) then save_pretrained(...)."
            )
        config = self.peft_config[active[0]]
        if config.base_model_name_or_path is None:
            config.base_model_name_or_path = getattr(self.config, "name_or_path", None) or None
        write_adapter(folder, config, self.get_adapter_state_dict(active[0]))


__all__ = ["AdapterMixin"]
