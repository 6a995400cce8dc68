"""LoRA layers: a linear layer plus, per named adapter, a low-rank update.

`y = base(x) + sum over active adapters of lora_B(lora_A(dropout(x))) * scaling`, with
`lora_A` `[r, in]` and `lora_B` `[out, r]` (B starts at zero, so a fresh adapter changes
nothing). A layer is adapted in place: its class becomes a subclass of its own class with this
forward, and `lora_A` / `lora_B` / `lora_dropout` (dicts keyed by adapter name) are added, so
its weight and bias keep their names and the model's other code keeps working. A forward that
is not the base layer's makes the fused and lean inference paths step aside (they run the
modules), so the update is never skipped.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.adapters.config import LoraConfig

_LORA_CLASSES: dict[type, type] = {}


class LoraLayer:
    """The LoRA forward and bookkeeping, mixed in before a linear layer's class."""

    lora_A: nn.ModuleDict
    lora_B: nn.ModuleDict
    lora_dropout: nn.ModuleDict
    _lora_base: type

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        if self.adapters_disabled:
            return out
        for name in self.active_adapters:
            if name in self.lora_A and name not in self.merged_adapters:
                a, b = self.lora_A[name], self.lora_B[name]
                update = b(a(self.lora_dropout[name](x.to(a.weight.dtype))))
                out = out + update.to(out.dtype) * self.scaling[name]
        return out

    @property
    def transposed(self) -> bool:
        """The base weight is stored `[in, out]` (GPT-2's Conv1D)."""
        return not isinstance(self, nn.Linear)

    def delta_weight(self, name: str) -> torch.Tensor:
        """The adapter's update as a weight in the base layer's layout."""
        delta = self.lora_B[name].weight @ self.lora_A[name].weight * self.scaling[name]
        return delta.T if self.transposed else delta

    def merge(self, names: list[str] | None = None) -> None:
        """Add the adapters' updates into the base weight (faster inference, same outputs)."""
        with torch.no_grad():
            for name in names or self.active_adapters:
                if name not in self.merged_adapters:
                    self.weight += self.delta_weight(name).to(self.weight.dtype)
                    self.merged_adapters.append(name)

    def unmerge(self) -> None:
        """Take merged updates back out of the base weight."""
        with torch.no_grad():
            while self.merged_adapters:
                name = self.merged_adapters.pop()
                self.weight -= self.delta_weight(name).to(self.weight.dtype)


def lora_class(base: type) -> type:
    """The LoRA subclass of linear class `base` (one per class, reused)."""
    if base not in _LORA_CLASSES:
        cls = type(f"Lora{base.__name__}", (LoraLayer, base), {"_lora_base": base})
        # a unique module-level name, so models holding LoRA layers pickle (torch.save)
        qualname = f"Lora_{base.__module__.replace('.', '_')}_{base.__qualname__}"
        cls.__module__, cls.__qualname__ = __name__, qualname.replace(".", "_")
        globals()[cls.__qualname__] = cls
        _LORA_CLASSES[base] = cls
    return _LORA_CLASSES[base]


def in_out_features(module: nn.Module) -> tuple[int, int]:
    if isinstance(module, nn.Linear):
        return module.in_features, module.out_features
    rows, cols = module.weight.shape  # Conv1D: [in, out]
    return rows, cols


def add_lora(module: nn.Module, name: str, config: LoraConfig) -> None:
    """Give linear layer `module` the adapter `name` (making it a LoRA layer if needed)."""
    if not isinstance(module, LoraLayer):
        module.__class__ = lora_class(type(module))
        module.lora_A = nn.ModuleDict()
        module.lora_B = nn.ModuleDict()
        module.lora_dropout = nn.ModuleDict()
        module.scaling = {}
        module.active_adapters = [name]
        module.adapters_disabled = False
        module.merged_adapters = []
    fan_in, fan_out = in_out_features(module)
    options = {"device": module.weight.device, "dtype": module.weight.dtype}
    a = nn.Linear(fan_in, config.r, bias=False, **options)
    b = nn.Linear(config.r, fan_out, bias=False, **options)
    with torch.no_grad():
        if config.init_lora_weights == "gaussian":
            nn.init.normal_(a.weight, std=1 / config.r)
        else:
            nn.init.kaiming_uniform_(a.weight, a=math.sqrt(5))
        if config.init_lora_weights is False:
            nn.init.kaiming_uniform_(b.weight, a=math.sqrt(5))
        else:
            nn.init.zeros_(b.weight)
    module.lora_A[name] = a
    module.lora_B[name] = b
    dropout = float(config.lora_dropout)
    module.lora_dropout[name] = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
    module.scaling[name] = config.scaling


def remove_lora(module: nn.Module, name: str) -> None:
    """Drop adapter `name` from a LoRA layer; the last one restores the plain layer."""
    if name in module.merged_adapters:
        raise ConfigError(
            f"Adapter {name!r} is merged into {type(module).__name__}: unmerge first."
        )
    for table in (module.lora_A, module.lora_B, module.lora_dropout):
        if name in table:
            del table[name]
    module.scaling.pop(name, None)
    module.active_adapters = [n for n in module.active_adapters if n != name]
    if len(module.lora_A) == 0:
        for attribute in ("lora_A", "lora_B", "lora_dropout"):
            delattr(module, attribute)
        for attribute in ("scaling", "active_adapters", "adapters_disabled", "merged_adapters"):
            module.__dict__.pop(attribute, None)
        module.__class__ = module._lora_base


class ModulesToSave(nn.Module):
    """A module trained and saved whole with an adapter: the original plus one copy per
    adapter; the active adapter's copy runs (the original when adapters are off or none of
    the active ones has a copy)."""

    def __init__(self, original: nn.Module) -> None:
        super().__init__()
        self.original_module = original
        self.modules_to_save = nn.ModuleDict()
        self.active_adapters: list[str] = []
        self.adapters_disabled = False

    def add(self, name: str) -> None:
        self.modules_to_save[name] = copy.deepcopy(self.original_module)
        self.active_adapters = [name]

    def chosen(self) -> nn.Module:
        if not self.adapters_disabled:
            for name in self.active_adapters:
                if name in self.modules_to_save:
                    return self.modules_to_save[name]
        return self.original_module

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.chosen()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # `.weight`, `.out_features`, ... of the module
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name.startswith("_") or "active_adapters" not in self.__dict__:
                raise  # (half-built while copied or unpickled)
            return getattr(self.chosen(), name)
