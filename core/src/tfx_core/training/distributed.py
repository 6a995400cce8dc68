"""`torch.distributed` glue: set up from torchrun's environment, rank helpers, gathers."""

from __future__ import annotations

import atexit
import datetime
import os
from typing import Any

import torch
import torch.distributed as dist

from tfx_core.errors import ConfigError


def launched_distributed() -> bool:
    """True under torchrun (or any launcher setting WORLD_SIZE > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def setup(backend: str | None, use_cpu: bool) -> torch.device:
    """Join the process group torchrun describes (once) and return this process's device."""
    cuda = torch.cuda.is_available() and not use_cpu
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    if launched_distributed() and not dist.is_initialized():
        backend = backend or ("nccl" if cuda else "gloo")
        if backend not in ("gloo", "nccl", "mpi"):
            raise ConfigError(f"ddp_backend={backend!r}: use 'gloo' (CPU) or 'nccl' (GPU).")
        dist.init_process_group(backend=backend, device_id=device if cuda else None)
        # Joined here, so left here: a group still alive at interpreter exit lets gloo's threads
        # be torn down mid-flight ("terminate called without an active exception", exit -6).
        atexit.register(_leave_process_group)
    return device


def _leave_process_group() -> None:
    """Wait for every rank (bounded), then tear the group down together."""
    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
        else:
            dist.barrier()
    except RuntimeError:  # a peer is gone: tear down this side anyway
        pass
    dist.destroy_process_group()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    return rank() == 0


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def sum_scalar(value: float | int, device: torch.device) -> float:
    """The sum of a number over all processes (the number itself when alone)."""
    if not is_distributed():
        return value
    tensor = torch.tensor(float(value), dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.item()


def gather_objects(value: Any) -> list[Any]:
    """Every process's `value`, in rank order (one-element list when alone)."""
    if not is_distributed():
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def broadcast_object(value: Any) -> Any:
    """Rank 0's `value` on every process."""
    if not is_distributed():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]
