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
the position of the first key the last `update` of that layer returned; `get_seq_length` counts
every position seen. Such a layer keeps only the `window - 1` latest positions, as the
reference's: a dynamic one in a buffer of `window + max(window, 64)` slots (`window_room`),
compacted (into a fresh buffer, so returned views stay valid) when the new positions no longer
fit, a static one in `min(window, max_cache_len)` slots shifted as each new position comes.
`crop` cannot bring back dropped positions (a `GenerationError` once a layer has seen `window`
positions).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch

from tfx_core.errors import GenerationError
from tfx_core.modeling.torch.cache_windows import checked_windows, sliding_windows, window_of

__all__ = [
    "Cache",
    "CrossAttentionCache",
    "DynamicCache",
    "EncoderDecoderCache",
    "StaticCache",
    "sliding_windows",
]


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

    #: A sliding layer's buffer has `window + max(window, window_room)` slots: the `window - 1`
    #: kept positions and room for `window + 1` or more new ones before it is compacted (so
    #: compacting copies under one position a step, and small windows compact rarely).
    window_room: int = 64

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
        self.windows = checked_windows(windows)
        self._starts: dict[int, int] = {}
        self._keys: list[torch.Tensor] = []
        self._values: list[torch.Tensor] = []
        #: per layer, positions seen (all of them are in the buffer unless the layer slides)
        self._lengths: list[int] = []
        #: per layer, the position held by buffer slot 0 (nonzero only on sliding layers)
        self._bases: list[int] = []
        #: per layer, the slots a sliding layer's buffer settles at (`window_room`)
        self._settled: list[int] = []
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
        (one op each, where `narrow` dispatches twice: a one-token step is that cheap). A
        sliding layer returns positions `[first, end)`, `first` the oldest of the `window - 1`
        before the new ones; its buffer holds positions from `_bases[layer]` on, and the kept
        ones move to a fresh buffer when the new ones do not fit (or after a long prompt)."""
        lengths = self._lengths
        if layer_idx >= len(lengths):
            if layer_idx > len(lengths):
                raise IndexError(
                    f"DynamicCache layers must be filled in order: got layer {layer_idx} while "
                    f"only {len(lengths)} exist."
                )
            self._allocate_layer(key, value, window_of(self.windows, layer_idx))
        start = lengths[layer_idx]
        new = key.shape[-2]
        end = start + new
        keys = self._keys[layer_idx]
        first = base = 0
        windows = self.windows
        window = windows[layer_idx] if windows is not None and layer_idx < len(windows) else None
        if window is not None:
            first, base, size = max(start - window + 1, 0), self._bases[layer_idx], keys.shape[-2]
            settled = self._settled[layer_idx]
            if end - base > size or (size > settled and size > end - first):
                slots = max(settled, end - first)
                if size < slots:  # still growing towards the window's buffer
                    slots = min(slots, max(end - first, int(size * self.growth) + 1))
                self._grow(layer_idx, slots, first - base, start - base)
                keys, base = self._keys[layer_idx], first
                self._bases[layer_idx] = first
            self._starts[layer_idx] = first
        elif end > keys.shape[-2]:
            self._grow(layer_idx, max(end, int(keys.shape[-2] * self.growth) + 1), 0, start)
            keys = self._keys[layer_idx]
        values = self._values[layer_idx]
        lead, key_strides, key_width, value_strides, value_width = self._layouts[layer_idx]
        slot, count = start - base, end - first
        keys.as_strided((*lead, new, key_width), key_strides, slot * key_strides[-2]).copy_(key)
        values.as_strided((*lead, new, value_width), value_strides, slot * value_strides[-2]).copy_(
            value
        )
        lengths[layer_idx] = end
        slot = first - base
        return (
            keys.as_strided((*lead, count, key_width), key_strides, slot * key_strides[-2]),
            values.as_strided((*lead, count, value_width), value_strides, slot * value_strides[-2]),
        )

    def key_start(self, layer_idx: int) -> int:
        return self._starts.get(layer_idx, 0)

    def _allocate_layer(self, key: torch.Tensor, value: torch.Tensor, window: int | None) -> None:
        settled = 0 if window is None else window + max(window, self.window_room)
        capacity = self.capacity if window is None else min(self.capacity, settled)
        self._settled.append(settled)
        size = max(capacity, key.shape[-2])
        self._keys.append(key.new_empty((*key.shape[:-2], size, key.shape[-1])))
        self._values.append(value.new_empty((*value.shape[:-2], size, value.shape[-1])))
        self._lengths.append(0)
        self._bases.append(0)
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

    def _grow(self, layer_idx: int, size: int, begin: int, stop: int) -> None:
        """New buffers of `size` slots for the layer, slots `[begin, stop)` copied to the front."""
        old_keys, old_values = self._keys[layer_idx], self._values[layer_idx]
        keys = old_keys.new_empty((*old_keys.shape[:-2], size, old_keys.shape[-1]))
        values = old_values.new_empty((*old_values.shape[:-2], size, old_values.shape[-1]))
        count = stop - begin
        keys.narrow(-2, 0, count).copy_(old_keys.narrow(-2, begin, count))
        values.narrow(-2, 0, count).copy_(old_values.narrow(-2, begin, count))
        self._keys[layer_idx], self._values[layer_idx] = keys, values
        self._layouts[layer_idx] = self._layout(keys, values)

    def _kept(self, layer_idx: int) -> tuple[int, int]:
        """Buffer slots `[begin, stop)` of the positions the layer keeps for the next update."""
        length, base = self._lengths[layer_idx], self._bases[layer_idx]
        window = window_of(self.windows, layer_idx)
        first = 0 if window is None else max(length - window + 1, 0)
        return first - base, length - base

    def get_seq_length(self, layer_idx: int = 0) -> int:
        """Number of positions `layer_idx` has seen (0 before the first update); a sliding
        layer keeps only the last `window - 1` of them."""
        return self._lengths[layer_idx] if layer_idx < len(self._lengths) else 0

    def reorder(self, beam_idx: torch.LongTensor) -> None:
        """Select batch rows (beam search): row `i` becomes old row `beam_idx[i]`.

        Only the rows that change are copied (beams that keep their own history, the common
        case late in a search, cost nothing): gather those rows, then write them in place.
        A sliding layer reorders only the positions it keeps.
        """
        if not self._lengths:
            return
        index = beam_idx.to(self._keys[0].device)
        moved = (index != torch.arange(index.shape[0], device=index.device)).nonzero().view(-1)
        if moved.numel() == 0:
            return
        everything = 4 * moved.numel() > 3 * index.shape[0]  # then one whole gather is faster
        source = index.index_select(0, moved)
        for layer in range(len(self._lengths)):
            begin, stop = self._kept(layer)
            for buffers in (self._keys, self._values):
                filled = buffers[layer].narrow(-2, begin, stop - begin)
                device = filled.device  # (layers may sit on different devices)
                if everything:
                    filled.copy_(filled.index_select(0, index.to(device)))
                else:
                    rows = filled.index_select(0, source.to(device))
                    filled.index_copy_(0, moved.to(device), rows)

    def crop(self, max_length: int) -> None:
        """Forget positions from `max_length` on (negative: drop that many from the end).

        A sliding layer that has seen `window` positions or more no longer holds what the
        positions left would attend to: cropping it raises `GenerationError` (the reference
        refuses too), and nothing is cropped."""
        kept = []
        for layer, length in enumerate(self._lengths):
            keep = min(length, max_length if max_length >= 0 else max(0, length + max_length))
            window = window_of(self.windows, layer)
            if keep < length and window is not None and length >= window:
                raise GenerationError(
                    f"Cannot crop sliding-window layer {layer} to {keep} positions: it has seen "
                    f"{length} and keeps only the last {window - 1} (window {window}). Crop "
                    "before the sequence reaches the window, or regenerate from the prompt."
                )
            kept.append(keep)
        self._lengths = kept  # (a sliding layer under its window still has base 0)

    # ------------------------------------------------------------ interop
    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The positions layer `layer_idx` keeps (a sliding layer: the last `window - 1`)."""
        begin, stop = self._kept(layer_idx)
        return (
            self._keys[layer_idx].narrow(-2, begin, stop - begin),
            self._values[layer_idx].narrow(-2, begin, stop - begin),
        )

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return (self[i] for i in range(len(self)))

    def to_legacy_cache(self) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
        """Tuple-of-tuples form `((keys, values), ...)` used by older code: what each layer
        keeps, so a sliding layer's last `window - 1` positions (as the reference's)."""
        return tuple(self)

    @classmethod
    def from_legacy_cache(
        cls, past: Sequence[tuple[torch.Tensor, torch.Tensor]] | None, capacity: int = 0
    ) -> DynamicCache:
        """A cache without windows holding `past` (tuples carry no window and no count of
        positions a sliding layer dropped, as with the reference's `DynamicCache`)."""
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
    A sliding layer (`windows`) has `min(window, max_cache_len)` slots, as the reference's, and
    continues from its own count (a `cache_position` must continue it).
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
        self.max_batch_size = max_batch_size
        self.max_cache_len = max_cache_len
        self.windows = checked_windows(windows)
        self._starts: dict[int, int] = {}
        self._keys: list[torch.Tensor] = []
        self._values: list[torch.Tensor] = []
        for layer in range(num_layers):
            window = window_of(self.windows, layer)
            slots = max_cache_len if window is None else min(window, max_cache_len)
            shape = (max_batch_size, num_heads, slots, head_dim)
            self._keys.append(torch.zeros(shape, dtype=dtype, device=device))
            self._values.append(torch.zeros(shape, dtype=dtype, device=device))
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
        window = window_of(self.windows, layer_idx)
        if position is not None and window is None:
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
        if position is not None and not torch.compiler.is_compiling() and int(position[0]) != start:
            raise ValueError(
                f"StaticCache sliding layer {layer_idx} continues from position {start}; "
                f"got cache_position starting at {int(position[0])}."
            )
        self._lengths[layer_idx] = start + new
        if window is None or start + new <= keys.shape[-2]:
            keys[:, :, start : start + new].copy_(key)
            values[:, :, start : start + new].copy_(value)
            return keys, values
        return self._slide(key, value, layer_idx, start)

    def _slide(
        self, key: torch.Tensor, value: torch.Tensor, layer_idx: int, start: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """A sliding layer's update past its slots (the reference's static sliding layer): the
        `slots - 1` positions before the new ones and the new ones are returned, the last
        `slots` of them kept; one new position shifts the buffers in place and returns them."""
        keys, values = self._keys[layer_idx], self._values[layer_idx]
        slots = keys.shape[-2]
        skip = 1 if start >= slots else 0  # the buffer's oldest slot leaves the window
        self._starts[layer_idx] = max(start - slots + 1, 0)
        held = min(start, slots)
        full_keys = torch.cat((keys.narrow(2, skip, held - skip), key), dim=2)
        full_values = torch.cat((values.narrow(2, skip, held - skip), value), dim=2)
        if full_keys.shape[2] == slots:  # one new position: the shifted buffers are returned
            keys.copy_(full_keys)
            values.copy_(full_values)
            return keys, values
        keys.copy_(full_keys.narrow(2, full_keys.shape[2] - slots, slots))
        values.copy_(full_values.narrow(2, full_values.shape[2] - slots, slots))
        return full_keys, full_values

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
        self._starts.clear()

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, layer_idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._keys[layer_idx], self._values[layer_idx]


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
