"""NEFTune (`neftune_noise_alpha`): uniform noise on the input embeddings while training.

As the reference: a forward hook on `model.get_input_embeddings()` adds, in training mode only,
noise drawn uniformly from `[-b, b]` with `b = alpha / sqrt(seq_len * hidden)` (computed in
float32, from torch's global RNG, one draw of the embedding output's shape per forward). The
hook lives for one `Trainer.train()` call; evaluation (eval mode) sees unchanged embeddings.
Paper: https://huggingface.co/papers/2310.05914
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from tfx_core.errors import ConfigError


def noise_bound(alpha: float, seq_len: int, hidden: int) -> float:
    """`alpha / sqrt(seq_len * hidden)`, rounded as the reference rounds it (float32)."""
    root = torch.tensor(seq_len * hidden).sqrt()  # an integer tensor's sqrt is float32
    return float(alpha / root)


def add_noise(module: torch.nn.Module, args: Any, output: torch.Tensor) -> torch.Tensor:
    """The forward hook: `output` plus NEFTune noise when `module` is training."""
    if not module.training:
        return output
    bound = noise_bound(module.neftune_noise_alpha, output.size(1), output.size(2))
    return output + torch.zeros_like(output).uniform_(-bound, bound)


def input_embeddings(model: torch.nn.Module) -> torch.nn.Module:
    """The module whose output NEFTune perturbs (under adapters, the base model's)."""
    getter = getattr(model, "get_input_embeddings", None)
    embeddings = getter() if getter is not None else None
    if not isinstance(embeddings, torch.nn.Module):
        raise ConfigError(
            f"neftune_noise_alpha needs the model's input embeddings, but "
            f"{type(model).__name__} has no get_input_embeddings() returning a module; unset "
            "neftune_noise_alpha or add that method."
        )
    return embeddings


@contextlib.contextmanager
def neftune(model: torch.nn.Module, alpha: float | None) -> Iterator[None]:
    """NEFTune noise on `model`'s input embeddings inside the block (nothing when `alpha` is
    None); the hook and its `neftune_noise_alpha` attribute are removed on leaving."""
    if alpha is None:
        yield
        return
    embeddings = input_embeddings(model)
    embeddings.neftune_noise_alpha = alpha
    handle = embeddings.register_forward_hook(add_noise)
    try:
        yield
    finally:
        handle.remove()
        del embeddings.neftune_noise_alpha
