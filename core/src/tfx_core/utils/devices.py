"""`infer_device`: the accelerator a script should use, by the reference's rule."""

from __future__ import annotations


def infer_device() -> str:
    """The device name: `cuda` when a CUDA GPU is visible, else `xpu` (Intel GPU), else `cpu`."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and xpu.is_available():
        return "xpu"
    return "cpu"
