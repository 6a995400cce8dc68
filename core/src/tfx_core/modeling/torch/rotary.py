"""Rotary position embeddings (RoPE) for decoder attention: the frequency table and its use.

`RotaryEmbedding` (a module on the base model, no weights) turns position ids into the
`(cos, sin)` pair every layer shares; the base model returns it from `layer_positions` and the
attention's `rotate` hook (`apply_rotary`) turns queries and keys with it. The module path and
the one-token decode plan both call these two, so the math exists once.

Scaling variants (`config.rope_scaling["rope_type"]`), as the reference defines them:
`default`, `linear` (positions divided by `factor`), `dynamic` (NTK base grown with the
sequence length past `max_position_embeddings`), `llama3` (low frequencies divided by `factor`,
a smooth ramp between `low_freq_factor` and `high_freq_factor`), `yarn` (interpolated low
frequencies, extrapolated high ones, a linear ramp between the `beta_fast` / `beta_slow`
rotation counts, and cos/sin scaled by an attention factor), `longrope` (per-channel
`short_factor` / `long_factor` divisors, the long ones once a sequence passes the trained
context, cos/sin scaled by an attention factor).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.lean import trusted_forward

ROPE_TYPES = ("default", "linear", "dynamic", "llama3", "yarn", "longrope")


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
    if rope_type == "longrope":
        _check_longrope(scaling, rotary_dim(config))
    elif rope_type != "default":
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


def _check_longrope(scaling: dict[str, Any], dim: int) -> None:
    for key in ("short_factor", "long_factor"):
        factors = scaling.get(key)
        if not isinstance(factors, (list, tuple)) or len(factors) != dim // 2:
            raise ConfigError(
                f"rope_scaling['longrope'] needs {key!r}: a list of {dim // 2} numbers "
                f"(half the rotary dimension), got {factors!r}."
            )


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


def _yarn_mscale(factor: float, mscale: float = 1.0) -> float:
    return 1.0 if factor <= 1 else 0.1 * mscale * math.log(factor) + 1.0


def yarn_attention_factor(scaling: dict[str, Any]) -> float:
    """YaRN's cos/sin scale: `attention_factor`, else from `factor` (and `mscale` /
    `mscale_all_dim` when both are set)."""
    if scaling.get("attention_factor") is not None:
        return float(scaling["attention_factor"])
    factor = scaling["factor"]
    mscale, mscale_all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
    if mscale and mscale_all_dim:
        return float(_yarn_mscale(factor, mscale) / _yarn_mscale(factor, mscale_all_dim))
    return _yarn_mscale(factor)


def yarn_frequencies(dim: int, base: float, scaling: dict[str, Any], context: int) -> torch.Tensor:
    """YaRN: channels turning fewer than `beta_slow` times over `context` positions are
    interpolated (divided by `factor`), more than `beta_fast` times kept, a linear ramp between."""
    beta_fast = scaling.get("beta_fast") or 32
    beta_slow = scaling.get("beta_slow") or 1

    def channel(rotations: float) -> float:  # the channel that turns `rotations` times
        return dim * math.log(context / (rotations * 2 * math.pi)) / (2 * math.log(base))

    low, high = channel(beta_fast), channel(beta_slow)
    if scaling.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001  # a one-channel ramp would divide by zero
    ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
    kept = 1 - ramp
    wavelengths = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    extrapolated = 1.0 / wavelengths
    interpolated = 1.0 / (scaling["factor"] * wavelengths)
    return interpolated * (1 - kept) + extrapolated * kept


def longrope_attention_factor(factor: float, context: int) -> float:
    """LongRoPE's default cos/sin scale for a context stretched `factor` times."""
    if factor <= 1.0:
        return 1.0
    return math.sqrt(1 + math.log(factor) / math.log(context))


def longrope_frequencies(dim: int, base: float, factors: list[float]) -> torch.Tensor:
    """LongRoPE: each channel's frequency divided by its own factor."""
    exponents = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    return 1.0 / (torch.tensor(factors, dtype=torch.float32) * base**exponents)


@trusted_forward
class RotaryEmbedding(nn.Module):
    """Position ids `[batch, length]` -> `(cos, sin)` `[batch, length, rotary_dim]`.

    The inverse frequencies are computed in float32 and kept outside the module's buffers, so
    loading in a dtype (`from_pretrained(dtype=...)`) keeps them float32, as the reference does.
    With `round_on_dtype_moves` (the Llama family, whose reference keeps them in an `inv_freq`
    buffer), a dtype move of the module (`model.to(torch.bfloat16)`, `.half()`) rounds them to
    that dtype as it rounds the reference's buffer (see `_apply`); the angles are float32
    products either way. `interleaved = True` lays the angles out pairwise (`a0 a0 a1 a1 ...`,
    GPT-J) for `apply_interleaved_rotary`.
    """

    interleaved: bool = False
    round_on_dtype_moves: bool = False

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.scaling = rope_scaling(config)
        self.dim = rotary_dim(config)
        self.base = float(getattr(config, "rope_theta", 10000.0))
        rope_type = self.scaling["rope_type"]
        self.max_positions = self.trained_context(config)
        self.attention_factor = 1.0
        self.long_table: torch.Tensor | None = None  # longrope, past `max_positions`
        inv_freq = inverse_frequencies(self.dim, self.base)
        if rope_type == "linear":
            inv_freq = inv_freq / self.scaling["factor"]
        elif rope_type == "llama3":
            inv_freq = llama3_frequencies(inv_freq, self.scaling)
        elif rope_type == "yarn":
            inv_freq = yarn_frequencies(self.dim, self.base, self.scaling, self.max_positions)
            self.attention_factor = yarn_attention_factor(self.scaling)
        elif rope_type == "longrope":
            inv_freq = longrope_frequencies(self.dim, self.base, self.scaling["short_factor"])
            self.long_table = longrope_frequencies(self.dim, self.base, self.scaling["long_factor"])
            self.attention_factor = self.longrope_factor(config)
        self._tables: dict[torch.device, torch.Tensor] = {inv_freq.device: inv_freq}

    def trained_context(self, config: Any) -> int:
        """The context length the table was trained for, as the reference reads it per type:
        `rope_scaling["original_max_position_embeddings"]` (llama3, yarn), the config's own
        `original_max_position_embeddings` (longrope, Phi-3 style), else
        `max_position_embeddings`."""
        trained = int(getattr(config, "max_position_embeddings", 2048))
        rope_type = self.scaling["rope_type"]
        if rope_type == "longrope":
            return int(getattr(config, "original_max_position_embeddings", None) or trained)
        if rope_type in ("llama3", "yarn"):
            return int(self.scaling.get("original_max_position_embeddings") or trained)
        return trained

    def longrope_factor(self, config: Any) -> float:
        """LongRoPE's cos/sin scale: `attention_factor`, else from the context stretch (the
        config's `max_position_embeddings / original_max_position_embeddings` when it has
        both, else `factor`)."""
        if self.scaling.get("attention_factor") is not None:
            return float(self.scaling["attention_factor"])
        factor = self.scaling.get("factor") or 1.0
        if getattr(config, "original_max_position_embeddings", None):
            factor = config.max_position_embeddings / config.original_max_position_embeddings
        return longrope_attention_factor(factor, self.max_positions)

    def _apply(self, fn: Any, recurse: bool = True) -> RotaryEmbedding:
        """Device moves (`.to()`, `.cuda()`) reach the table, and dtype moves too with
        `round_on_dtype_moves`; only the device and dtype come from `fn` (`to_empty()` keeps
        the values)."""
        table = next(iter(self._tables.values()))
        moved = fn(table)
        rounds = self.round_on_dtype_moves and moved.is_floating_point()
        dtype = moved.dtype if rounds else table.dtype
        self._tables = {moved.device: table.to(device=moved.device, dtype=dtype)}
        return super()._apply(fn, recurse)

    def table(self, device: torch.device) -> torch.Tensor:
        """The inverse frequencies on `device` (copied there once)."""
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
        rope_type = self.scaling["rope_type"]
        if rope_type == "dynamic":
            inv_freq = self.dynamic_table(int(position_ids.max()) + 1, device)
        elif rope_type == "longrope" and int(position_ids.max()) + 1 > self.max_positions:
            inv_freq = self.long_table.to(device)
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
        return RotaryAngles((cos.to(dtype), sin.to(dtype)))


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


class RotaryAngles(tuple):
    """`(cos, sin)` `[batch, length, dim]` as `RotaryEmbedding` returns them; `head_tables()`
    keeps what `apply_rotary` multiplies by, computed once for every layer of a forward."""

    def head_tables(self) -> tuple[torch.Tensor, torch.Tensor]:
        tables = self.__dict__.get("heads")
        if tables is None:
            tables = self.__dict__["heads"] = half_turn_tables(*self)
        return tables


def half_turn_tables(cos: torch.Tensor, sin: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`cos` and the signed `[-sin_1, sin_2]` as `[batch, 1, length, dim]`, one row for every
    head: `rotate_half(x) * sin == x.roll(dim // 2, -1) * signed`, bitwise (a sign is exact)."""
    half = sin.shape[-1] // 2
    signed = torch.cat((-sin[..., :half], sin[..., half:]), dim=-1)
    return cos.unsqueeze(1), signed.unsqueeze(1)


def turn_half(x: torch.Tensor, cos: torch.Tensor, signed: torch.Tensor) -> torch.Tensor:
    """`rotate(x, cos, sin)` over whole heads from `half_turn_tables`: 4 ops instead of 7,
    each rounding as the reference's `x * cos + rotate_half(x) * sin` rounds."""
    return x * cos + x.roll(x.shape[-1] // 2, -1) * signed


def apply_rotary(
    query: torch.Tensor, key: torch.Tensor, positions: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The decoder attention's `rotate` hook: queries and keys turned by `(cos, sin)` (whole
    heads by `turn_half`, a partial table's channels by `rotate`)."""
    cos, sin = positions
    if cos.shape[-1] != query.shape[-1] or cos.shape[-1] % 2:
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # one table for every head
        return rotate(query, cos, sin), rotate(key, cos, sin)
    if isinstance(positions, RotaryAngles):
        cos, signed = positions.head_tables()
    else:
        cos, signed = half_turn_tables(cos, sin)
    joined = joined_heads(query, key)
    if joined is not None:  # one turn over both (elementwise: the same bits), then split
        turned = turn_half(joined, cos, signed)
        query, key = turned.split_with_sizes((query.shape[1], key.shape[1]), 1)
        return query, key
    return turn_half(query, cos, signed), turn_half(key, cos, signed)


def joined_heads(query: torch.Tensor, key: torch.Tensor) -> torch.Tensor | None:
    """`[batch, query + key heads, 1, dim]`: one view of both when the key heads follow the
    query heads in memory, as one token's slices of a fused projection do; else None."""
    batch, heads, length, dim = query.shape
    stride = query.stride()
    if (
        length != 1
        or key.shape[0] != batch
        or key.shape[2:] != query.shape[2:]
        or (stride[1], stride[3]) != (dim, 1)
        or (key.stride(1), key.stride(3)) != (dim, 1)
        or (batch > 1 and key.stride(0) != stride[0])
        or key.dtype != query.dtype
        or key.untyped_storage().data_ptr() != query.untyped_storage().data_ptr()
        or key.storage_offset() != query.storage_offset() + heads * dim
    ):
        return None
    return query.as_strided((batch, heads + key.shape[1], 1, dim), stride)


def apply_interleaved_rotary(
    query: torch.Tensor, key: torch.Tensor, positions: tuple[torch.Tensor, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """`apply_rotary` for the interleaved layout (GPT-J: channel pairs `(2i, 2i + 1)` turn)."""
    cos, sin = positions
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    return rotate(query, cos, sin, rotate_pairs), rotate(key, cos, sin, rotate_pairs)


__all__ = [
    "RotaryAngles",
    "RotaryEmbedding",
    "apply_interleaved_rotary",
    "apply_rotary",
    "half_turn_tables",
    "joined_heads",
    "rope_scaling",
    "rotary_dim",
    "rotate_half",
    "rotate_pairs",
    "turn_half",
]
