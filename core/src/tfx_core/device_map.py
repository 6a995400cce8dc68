"""Reading the reference's `device_map` argument: tfx places a model on one device."""

from __future__ import annotations

from typing import Any

from tfx_core.errors import ConfigError

#: `device_map` strategies that spread a model over devices; tfx reads them as "the best one"
PLACEMENT_STRATEGIES = ("auto", "balanced", "balanced_low_0", "sequential")


def single_device(device_map: Any, error: type[Exception] = ConfigError) -> Any:
    """The one device `device_map` describes (a device, its name or index, a strategy name, or a
    dict whose values all name the same device), or `error` saying why there is not one."""
    if isinstance(device_map, dict):
        devices = {str(d) for d in device_map.values()}
        if len(devices) != 1:
            raise error(
                f"tfx places a model on one device; device_map spreads it over {sorted(devices)}. "
                "Pass device= (or a device_map with a single device)."
            )
        device_map = next(iter(device_map.values()))
    if device_map in PLACEMENT_STRATEGIES:
        import torch

        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if isinstance(device_map, str) and device_map.isdigit():
        return int(device_map)
    return device_map
