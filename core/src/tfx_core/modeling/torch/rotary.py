"""Rotary position embeddings (RoPE) for decoder attention: the frequency table and its use.

`RotaryEmbedding` (a module on the base model, no weights) turns position ids into the
`(cos, sin)` pair every layer shares; the base model returns it from `layer_positions` and the
attention's `rotate` hook (`apply_rotary`) turns queries and keys with it. The module path and
the one-token decode plan both call these two, so the math exists once.

Scaling variants (`config.rope_scaling["rope_type"]`), as the reference defines them:
`default`, `linear` (positions divided by `factor`), `dynamic` (NTK base grown with the
sequence length past `max_position_embeddings`), `llama3` (low frequencies divided by `factor`,
a smooth ramp between `low_freq_factor` and `high_freq_factor`).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.lean import trusted_forward

ROPE_TYPES = ("default", "linear", "dynamic", "llama3")


def rotary_dim(config: Any) -> int:
    """How many channels of each head rotate: `config.rotary_dim` when set (GPT-J), else
    `head_dim` times `partial_rotary_factor`."""
    if getattr(config, "rotary_dim", None):
        return int(config.rotary_dim)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return int(head_dim * float(getattr(config, "partial_rotary_factor", 1.0) or 1.0))


def rope_scaling(config: Any) -> dict[str, Any]:
    """The config's `rope_scaling` dict with `rope_type` filled in (checked)."""
    scaling = dict(getattr(config, "rope_scaling", None) or {})
    rope_type = scaling.get("rope_type", scaling.get("type", "default"))
    if rope_type not in ROPE_TYPES:
        raise ConfigError(
            f"rope_scaling type {rope_type!r} is not supported; use one of {', '.join(ROPE_TYPES)}."
        )
    scaling["rope_type"] = rope_type
    if rope_type != "default":
        factor = scaling.get("factor")
        if not isinstance(factor, (int, float)) or factor <= 0:
            raise ConfigError(
                f"rope_scaling[{rope_type!r}] needs a positive 'factor', got {factor!r}."
            )
    if rope_type == "llama3":
        missing = [
            key
            for key in ("low_freq_factor", "high_freq_factor", "original_max_position_embeddings")
            if key not in scaling
        ]
        if missing:
            raise ConfigError(f"rope_scaling['llama3'] is missing {', '.join(missing)}.")
        if scaling["high_freq_factor"] <= scaling["low_freq_factor"]:
            raise ConfigError("rope_scaling['llama3'] needs high_freq_factor > low_freq_factor.")
    return scaling


def inverse_frequencies(dim: int, base: float) -> torch.Tensor:
    """`1 / base^(2i / dim)` for `i < dim / 2`, float32."""
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    return 1.0 / (base**exponents)


def llama3_frequencies(inv_freq: torch.Tensor, scaling: dict[str, Any]) -> torch.Tensor:
    """Llama 3.1's rescaling: long wavelengths divided by `factor`, a smooth ramp between."""
    factor = scaling["factor"]
    low, high = scaling["low_freq_factor"], scaling["high_freq_factor"]
    context = scaling["original_max_position_embeddings"]
    wavelength = 2 * math.pi / inv_freq
    scaled = torch.where(wavelength > context / low, inv_freq / factor, inv_freq)
    smooth = (context / wavelength - low) / (high - low)
    ramp = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelength >= context / high) & (wavelength <= context / low)
    return torch.where(medium, ramp, scaled)


@trusted_forward
class RotaryEmbedding(nn.Module):
    """Position ids `[batch, length]` -> `(cos, sin)` `[batch, length, rotary_dim]`.

    The table is kept in float32 outside the module's buffers (a dtype move of the model must
    not round it; the reference computes it in float32 too). `interleaved = True` lays the
    angles out pairwise (`a0 a0 a1 a1 ...`, GPT-J) for `apply_interleaved_rotary`.
    """

    interleaved: bool = False

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.scaling = rope_scaling(config)
        self.dim = rotary_dim(config)
        self.base = float(getattr(config, "rope_theta", 10000.0))
        self.max_positions = int(
            self.scaling.get("original_max_position_embeddings")
            or getattr(config, "max_position_embeddings", 2048)
        )
        self.attention_factor = 1.0
        inv_freq = inverse_frequencies(self.dim, self.base)
        rope_type = self.scaling["rope_type"]
        if rope_type == "linear":
            inv_freq = inv_freq / self.scaling["factor"]
        elif rope_type == "llama3":
            inv_freq = llama3_frequencies(inv_freq, self.scaling)
        self._tables: dict[torch.device, torch.Tensor] = {inv_freq.device: inv_freq}

    def table(self, device: torch.device) -> torch.Tensor:
        """The float32 inverse frequencies on `device` (copied there once)."""
        inv_freq = self._tables.get(device)
        if inv_freq is None:
            inv_freq = next(iter(self._tables.values())).to(device)
            self._tables[device] = inv_freq
        return inv_freq

    def dynamic_table(self, length: int, device: torch.device) -> torch.Tensor:
        """Dynamic NTK: past the trained context the base grows with the sequence length."""
        if length <= self.max_positions:
            return self.table(device)
        factor = self.scaling["factor"]
        grown = (factor * length / self.max_positions) - (factor - 1)
        base = self.base * grown ** (self.dim / (self.dim - 2))
        return inverse_frequencies(self.dim, base).to(device)

    def forward(
        self, position_ids: torch.Tensor, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        device = position_ids.device
        if self.scaling["rope_type"] == "dynamic":
            inv_freq = self.dynamic_table(int(position_ids.max()) + 1, device)
        else:
            inv_freq = self.table(device)
        angles = position_ids[..., None].float() * inv_freq
        if self.interleaved:
            angles = angles.repeat_interleave(2, dim=-1)
        else:
            angles = torch.cat((angles, angles), dim=-1)
        cos, sin = angles.cos(), angles.sin()
        if self.attention_factor != 1.0:
            cos, sin = cos * self.attention_factor, sin * self.attention_factor
        return cos.to(dtype), sin.to(dtype)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    """`[x1, x2] -> [-x2, x1]` over the last dimension's halves."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotate_pairs(x: torch.Tensor) -> torch.Tensor:
    """`[x0, x1, x2, x3, ...] -> [-x1, x0, -x3, x2, ...]`: the interleaved layout's turn (GPT-J)."""
    pairs = x.unflatten(-1, (-1, 2))
    return torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).flatten(-2)


def rotate(
    x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, turn: Any = rotate_half
) -> torch.Tensor:
    """`x` `[batch, heads, length, dim]` turned by the angles; a partial table turns the first
    `cos.shape[-1]` channels and passes the rest. `turn`: `rotate_half` or `rotate_pairs`."""
    width = cos.shape[-1]
    if width == x.shape[-1]:
        return x * cos + turn(x) * sin
    turned, passed = x[..., :width], x[..., width:]
    return torch.cat((turned * cos + turn(turned) * sin, passed), dim=-1)


def apply_rotary(
    query: torch.Tensor, key: torch.Tensor, positions: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The decoder attention's `rotate` hook: queries and keys turned by `(cos, sin)`."""
    cos, sin = positions
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # one table for every head
    return rotate(query, cos, sin), rotate(key, cos, sin)


def apply_interleaved_rotary(
    query: torch.Tensor, key: torch.Tensor, positions: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """`apply_rotary` for the interleaved layout (GPT-J: channel pairs `(2i, 2i + 1)` turn)."""
    cos, sin = positions
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return rotate(query, cos, sin, rotate_pairs), rotate(key, cos, sin, rotate_pairs)


__all__ = [
    "RotaryEmbedding",
    "apply_interleaved_rotary",
    "apply_rotary",
    "rope_scaling",
    "rotary_dim",
    "rotate_half",
    "rotate_pairs",
]
