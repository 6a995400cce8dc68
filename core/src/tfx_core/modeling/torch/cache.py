"""Key/value caches for autoregressive decoding: each generated token costs one position.

Both caches are layer-indexed: an attention layer calls `update(key, value, layer_idx)` with the
keys and values of its new positions (`[batch, heads, new, head_dim]`) and gets back the keys and
values it must attend to.

- `DynamicCache` keeps one buffer per layer and grows it geometrically, so a sequence of `n`
  single-token updates copies O(n) elements in total (not O(n^2) as with concatenation). It
  returns views of the filled part; generation pre-sizes it to the final length, so decoding
  never reallocates.
- `StaticCache` is preallocated for a maximum batch and length and always returns the full,
  fixed-shape buffers (positions not yet written must be masked by the caller), which is what
  `torch.compile` and CUDA graphs need.

Encoder-decoder models keep two caches in one `EncoderDecoderCache`: the decoder's growing
self-attention cache, and a `CrossAttentionCache` of the encoder's keys and values, projected on
the first decoder call and reused by every later step.

Left padding is handled by the caller (attention mask and position ids); the caches only store.

Sliding-window layers (`windows`, one entry per layer, from `sliding_windows(config)`) return
only the keys the reference's sliding cache layers return: the `window - 1` positions before the
new ones plus the new ones (a static cache: its `window` slots until the sequence outgrows them).
The attention then sums over the same keys as the reference, which rounds differently in half
precision than a sum over every cached key with the older ones masked. `key_start(layer)` is
the position of the first key the last `update` of that layer returned; the buffers keep every
position (so `crop` and beam reordering work as without windows).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch

from tfx_core.errors import ConfigError

__all__ = [
    "Cache",
    "CrossAttentionCache",
    "DynamicCache",
    "EncoderDecoderCache",
    "StaticCache",
    "sliding_windows",
]


def sliding_windows(config: Any) -> list[int | None] | None:
    """Per layer, the window of a sliding-window layer (None: a full layer); None when no layer
    slides. The reference's rule: `sliding_window` (or `attention_chunk_size`) with
    `layer_types` ("sliding_attention"/"chunked_attention" entries), every layer when it has
    no `layer_types`. Models without those fields (GPT-Neo's `window_size`) slide nowhere."""
    window = getattr(config, "sliding_window", None) or getattr(
        config, "attention_chunk_size", None
    )
    if window is None:
        return None
    layers = getattr(config, "num_hidden_layers", None)
    kinds = getattr(config, "layer_types", None)
    if kinds is None:
        if layers is None:
            return None
        return [int(window)] * layers
    windows = [
        int(window) if kind in ("sliding_attention", "chunked_attention") else None
        for kind in kinds
    ]
    return windows if any(w is not None for w in windows) else None


def _window_of(windows: Sequence[int | None] | None, layer_idx: int) -> int | None:
    if windows is None or layer_idx >= len(windows):
        return None
    return windows[layer_idx]


class Cache:
    """Shared interface of the caches (also what model code may type against)."""

    #: True when `update` returns fixed-shape buffers covering `max_cache_len` positions.
    is_static: bool = False
    #: Per layer, the sliding window (None: full); None when no layer slides (module doc).
    windows: list[int | None] | None = None

    def update(
        self,
        key: torch.Tensor,
        value: torch.Tensor,
        layer_idx: int,
        cache_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def get_seq_length(self, layer_idx: int = 0) -> int:
        raise NotImplementedError

    def get_max_cache_shape(self) -> int | None:
        return None

    def key_start(self, layer_idx: int) -> int:
        """Position of the first key the last `update` of `layer_idx` returned (0 unless the
        layer has a sliding window)."""
        return 0

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        raise NotImplementedError

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        """Alias of `reorder`, the reference library's name."""
        self.reorder(beam_idx)


class DynamicCache(Cache):
    """A cache that grows as tokens are added; `capacity` pre-sizes it (e.g. to `max_length`);
    `windows` gives sliding-window layers (see the module doc)."""

    def __init__(
        self,
        capacity: int = 0,
        *,
        growth: float = 2.0,
        windows: Sequence[int | None] | None = None,
    ) -> None:
        if growth <= 1.0:
            raise ValueError(f"DynamicCache growth factor must be > 1, got {growth}.")
        self.capacity = int(capacity)
        self.growth = growth
        self.windows = _checked_windows(windows)
        self._starts: dict[int, int] = {}
        self._keys: list[torch.Tensor] = []
        self._values: list[torch.Tensor] = []
        self._lengths: list[int] = []
        self._layouts: list[tuple] = []

    # ------------------------------------------------------------------ core
    def update(
        self,
        key: torch.Tensor,
        value: torch.Tensor,
        layer_idx: int,
        cache_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Append `key`/`value` (`[batch, heads, new, head_dim]`) to layer `layer_idx`.

        The written slots and the returned filled parts are `as_strided` views of the buffers
        (one op each, where `narrow` dispatches twice: a one-token step is that cheap)."""
        lengths = self._lengths
        if layer_idx >= len(lengths):
            if layer_idx > len(lengths):
                raise IndexError(
                    f"DynamicCache layers must be filled in order: got layer {layer_idx} while "
                    f"only {len(lengths)} exist."
                )
            self._allocate_layer(key, value)
        start = lengths[layer_idx]
        new = key.shape[-2]
        end = start + new
        keys = self._keys[layer_idx]
        if end > keys.shape[-2]:
            self._grow(layer_idx, end)
            keys = self._keys[layer_idx]
        values = self._values[layer_idx]
        lead, key_strides, key_width, value_strides, value_width = self._layouts[layer_idx]
        keys.as_strided((*lead, new, key_width), key_strides, start * key_strides[-2]).copy_(key)
        values.as_strided(
            (*lead, new, value_width), value_strides, start * value_strides[-2]
        ).copy_(value)
        lengths[layer_idx] = end
        first = 0
        if self.windows is not None:
            window = _window_of(self.windows, layer_idx)
            if window is not None:
                first = max(start - window + 1, 0)
            self._starts[layer_idx] = first
        return (
            keys.as_strided((*lead, end - first, key_width), key_strides, first * key_strides[-2]),
            values.as_strided(
                (*lead, end - first, value_width), value_strides, first * value_strides[-2]
            ),
        )

    def key_start(self, layer_idx: int) -> int:
        return self._starts.get(layer_idx, 0)

    def _allocate_layer(self, key: torch.Tensor, value: torch.Tensor) -> None:
        size = max(self.capacity, key.shape[-2])
        self._keys.append(key.new_empty((*key.shape[:-2], size, key.shape[-1])))
        self._values.append(value.new_empty((*value.shape[:-2], size, value.shape[-1])))
        self._lengths.append(0)
        self._layouts.append(self._layout(self._keys[-1], self._values[-1]))

    @staticmethod
    def _layout(keys: torch.Tensor, values: torch.Tensor) -> tuple:
        """`(leading sizes, key strides, key width, value strides, value width)` of a layer's
        fresh buffers (storage offset 0), which `update` views its slots with."""
        return (
            tuple(keys.shape[:-2]),
            keys.stride(),
            keys.shape[-1],
            values.stride(),
            values.shape[-1],
        )

    def _grow(self, layer_idx: int, needed: int) -> None:
        length = self._lengths[layer_idx]
        old_keys, old_values = self._keys[layer_idx], self._values[layer_idx]
        size = max(needed, int(old_keys.shape[-2] * self.growth) + 1)
        keys = old_keys.new_empty((*old_keys.shape[:-2], size, old_keys.shape[-1]))
        values = old_values.new_empty((*old_values.shape[:-2], size, old_values.shape[-1]))
        keys[:, :, :length].copy_(old_keys[:, :, :length])
        values[:, :, :length].copy_(old_values[:, :, :length])
        self._keys[layer_idx], self._values[layer_idx] = keys, values
        self._layouts[layer_idx] = self._layout(keys, values)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Number of cached positions of `layer_idx` (0 before the first update)."""
        return self._lengths[layer_idx] if layer_idx < len(self._lengths) else 0

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        """Select batch rows (beam search): row `i` becomes old row `beam_idx[i]`.

        Only the rows that change are copied (beams that keep their own history, the common
        case late in a search, cost nothing): gather those rows, then write them in place.
        """
        if not self._lengths:
            return
        index = beam_idx.to(self._keys[0].device)
        moved = (index != torch.arange(index.shape[0], device=index.device)).nonzero().view(-1)
        if moved.numel() == 0:
            return
        everything = 4 * moved.numel() > 3 * index.shape[0]  # then one whole gather is faster
        source = index.index_select(0, moved)
        for layer, length in enumerate(self._lengths):
            for buffers in (self._keys, self._values):
                filled = buffers[layer][:, :, :length]
                device = filled.device  # (layers may sit on different devices)
                if everything:
                    filled.copy_(filled.index_select(0, index.to(device)))
                else:
                    rows = filled.index_select(0, source.to(device))
                    filled.index_copy_(0, moved.to(device), rows)

    def crop(self, max_length: int) -> None:
        """Forget positions from `max_length` on (negative: drop that many from the end)."""
        for layer, length in enumerate(self._lengths):
            self._lengths[layer] = max_length if max_length >= 0 else max(0, length + max_length)

    # ------------------------------------------------------------ interop
    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        length = self._lengths[layer_idx]
        return self._keys[layer_idx][:, :, :length], self._values[layer_idx][:, :, :length]

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return (self[i] for i in range(len(self)))

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
        """Tuple-of-tuples form `((keys, values), ...)` used by older code."""
        return tuple(self)

    @classmethod
    def from_legacy_cache(
        cls, past: Sequence[tuple[torch.Tensor, torch.Tensor]] | None, capacity: int = 0
    ) -> DynamicCache:
        cache = cls(capacity=capacity)
        for layer_idx, (keys, values) in enumerate(past or ()):
            cache.update(keys, values, layer_idx)
        return cache


class StaticCache(Cache):
    """A preallocated `[max_batch_size, heads, max_cache_len, head_dim]` buffer per layer.

    `update` writes the new positions and returns the whole buffers, so every step sees the same
    shapes; callers mask the positions at or after `get_seq_length()`. Pass
    `cache_kwargs={"cache_position": LongTensor}` to write at positions held in a tensor (no host
    integer, as compiled code wants); otherwise positions continue from the current length.
    """

    is_static = True

    def __init__(
        self,
        *,
        num_layers: int,
        max_batch_size: int,
        max_cache_len: int,
        num_heads: int,
        head_dim: int,
        dtype: torch.dtype = torch.float32,
        device: torch.device | str | None = None,
        windows: Sequence[int | None] | None = None,
    ) -> None:
        shape = (max_batch_size, num_heads, max_cache_len, head_dim)
        self.max_batch_size = max_batch_size
        self.max_cache_len = max_cache_len
        self.windows = _checked_windows(windows)
        self._starts: dict[int, int] = {}
        self._keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self._values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(num_layers)]
        self._lengths = [0] * num_layers

    def update(
        self,
        key: torch.Tensor,
        value: torch.Tensor,
        layer_idx: int,
        cache_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        keys, values = self._keys[layer_idx], self._values[layer_idx]
        new = key.shape[-2]
        position = (cache_kwargs or {}).get("cache_position")
        if position is not None:
            keys.index_copy_(2, position, key)
            values.index_copy_(2, position, value)
            if not torch.compiler.is_compiling():
                self._lengths[layer_idx] = max(self._lengths[layer_idx], int(position[-1]) + 1)
            return keys, values
        start = self._lengths[layer_idx]
        if start + new > self.max_cache_len:
            raise ValueError(
                f"StaticCache is full: {start} + {new} positions exceed max_cache_len="
                f"{self.max_cache_len}. Create it with a larger max_cache_len."
            )
        if key.shape[0] != keys.shape[0]:
            raise ValueError(
                f"StaticCache was built for batch {keys.shape[0]}, got a batch of {key.shape[0]}."
            )
        keys[:, :, start : start + new].copy_(key)
        values[:, :, start : start + new].copy_(value)
        self._lengths[layer_idx] = start + new
        window = _window_of(self.windows, layer_idx)
        if window is None:
            return keys, values
        # the reference's static sliding layer: its `window` slots until they overflow, then
        # the `window - 1` positions before the new ones and the new ones
        window = min(window, self.max_cache_len)
        first, stop = (0, window) if start + new <= window else (max(start - window + 1, 0), None)
        stop = start + new if stop is None else stop
        self._starts[layer_idx] = first
        return keys[:, :, first:stop], values[:, :, first:stop]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self._lengths[layer_idx]

    def key_start(self, layer_idx: int) -> int:
        return self._starts.get(layer_idx, 0)

    def get_max_cache_shape(self) -> int:
        return self.max_cache_len

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        for buffers in (self._keys, self._values):
            for buffer in buffers:
                buffer.copy_(buffer.index_select(0, beam_idx.to(buffer.device)))

    def reset(self) -> None:
        """Empty the cache for reuse (buffers are kept; stale values are masked by length)."""
        self._lengths = [0] * len(self._lengths)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._keys[layer_idx], self._values[layer_idx]


def _checked_windows(windows: Sequence[int | None] | None) -> list[int | None] | None:
    """`windows` as a list (None when no layer slides); each window a positive int or None."""
    if windows is None:
        return None
    checked = list(windows)
    for window in checked:
        if window is not None and (
            isinstance(window, bool) or not isinstance(window, int) or window < 1
        ):
            raise ConfigError(f"Cache windows must be positive ints or None, got {window!r}.")
    return checked if any(window is not None for window in checked) else None


class CrossAttentionCache:
    """Encoder keys and values per layer (`[batch, heads, source, dim]`), computed once.

    A cross-attention layer asks `get(layer_idx)`; on a miss it projects the encoder states and
    calls `update(key, value, layer_idx)`, which stores them for every later decoding step.
    """

    def __init__(self) -> None:
        self.layers: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def get(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        return self.layers.get(layer_idx)

    def update(
        self,
        key: torch.Tensor,
        value: torch.Tensor,
        layer_idx: int,
        cache_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store layer `layer_idx`'s encoder keys and values (replacing any) and return them.

        They are stored contiguous (one copy per generation): head-split projections are
        transposed views, which an eager `q @ k.T` would otherwise copy at every decoding step.
        """
        key, value = key.contiguous(), value.contiguous()
        self.layers[layer_idx] = (key, value)
        return key, value

    def __contains__(self, layer_idx: object) -> bool:
        return layer_idx in self.layers

    def __len__(self) -> int:
        return len(self.layers)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Encoder positions cached for `layer_idx` (0 before the first decoder call)."""
        entry = self.layers.get(layer_idx)
        return 0 if entry is None else int(entry[0].shape[-2])

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        for layer, (keys, values) in self.layers.items():
            index = beam_idx.to(keys.device)
            self.layers[layer] = (keys.index_select(0, index), values.index_select(0, index))

    def reorder_cache(self, beam_idx: torch.LongTensor) -> None:
        self.reorder(beam_idx)


class EncoderDecoderCache(Cache):
    """The decoder's self-attention cache plus the encoder's cross-attention keys/values.

    `get_seq_length()` counts decoded positions (the self-attention cache); `reorder` selects
    beams in both. `update` is the self-attention cache's, so code written for a decoder-only
    cache keeps working. `static_cross=True` (set by `generate`, whose beams share one prompt's
    encoder states) skips reordering the cross-attention part, whose rows are then identical
    within each beam group.

    `group` (with `static_cross`) says each run of `group` consecutive rows shares one source:
    a lean decoder step may then keep the encoder's keys and values once per source in
    `grouped_cross_attention_cache` (a `group`-th of the memory, read once for all the beams).
    The module path keeps using the full-row `cross_attention_cache`.
    """

    def __init__(
        self,
        self_attention_cache: Cache | None = None,
        cross_attention_cache: CrossAttentionCache | None = None,
        *,
        static_cross: bool = False,
        group: int = 1,
    ) -> None:
        if group < 1 or (group > 1 and not static_cross):
            raise ValueError(
                f"EncoderDecoderCache group must be >= 1 and needs static_cross; got {group}."
            )
        self.self_attention_cache = (
            self_attention_cache if self_attention_cache is not None else DynamicCache()
        )
        self.cross_attention_cache = (
            cross_attention_cache if cross_attention_cache is not None else CrossAttentionCache()
        )
        self.static_cross = static_cross
        self.group = group
        self.windows = self.self_attention_cache.windows
        self.grouped_cross_attention_cache = CrossAttentionCache()
        #: `(plan, step)`: a lean decode plan's step bound for this cache's generation (see
        #: `SourceAttendingPlan.engaged`); it lives and dies with the cache.
        self.lean_step: tuple | None = None

    def __getstate__(self) -> dict:
        """Copies and pickles hold the cached tensors, not a plan's binding (which refers to
        the model)."""
        return {**self.__dict__, "lean_step": None}

    @property
    def is_static(self) -> bool:  # type: ignore[override]
        return self.self_attention_cache.is_static

    def update(
        self,
        key: torch.Tensor,
        value: torch.Tensor,
        layer_idx: int,
        cache_kwargs: dict | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.self_attention_cache.update(key, value, layer_idx, cache_kwargs)

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.self_attention_cache.get_seq_length(layer_idx)

    def get_max_cache_shape(self) -> int | None:
        return self.self_attention_cache.get_max_cache_shape()

    def key_start(self, layer_idx: int) -> int:
        return self.self_attention_cache.key_start(layer_idx)

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        self.self_attention_cache.reorder(beam_idx)
        if not self.static_cross:
            self.cross_attention_cache.reorder(beam_idx)

    def __len__(self) -> int:
        return len(self.self_attention_cache)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, ...]:
        """`(self keys, self values, cross keys, cross values)`, the reference's legacy layout."""
        cross = self.cross_attention_cache.get(layer_idx)
        shared = self.grouped_cross_attention_cache.get(layer_idx)
        if cross is None and shared is not None:  # one row per source: repeat for every row
            cross = tuple(part.repeat_interleave(self.group, dim=0) for part in shared)
        return (*self.self_attention_cache[layer_idx], *(cross or ()))

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, ...], ...]:
        return tuple(self[i] for i in range(len(self)))

    @classmethod
    def from_legacy_cache(
        cls, past: Sequence[Sequence[torch.Tensor]] | None, capacity: int = 0
    ) -> EncoderDecoderCache:
        """From `((self k, self v, cross k, cross v), ...)` tuples (cross part optional)."""
        cache = cls(DynamicCache(capacity=capacity))
        for layer_idx, entry in enumerate(past or ()):
            cache.self_attention_cache.update(entry[0], entry[1], layer_idx)
            if len(entry) >= 4:
                cache.cross_attention_cache.update(entry[2], entry[3], layer_idx)
        return cache
