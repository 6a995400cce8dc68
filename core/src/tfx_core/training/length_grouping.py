"""Length-grouped sampling (`group_by_length=True`): batches of examples of similar length.

The order of an epoch follows the reference's `LengthGroupedSampler`: a random permutation is cut
into mega-batches of `group_size * min(n // (4 * group_size), 50)` examples (at least one group),
each sorted by length, longest first, and the longest example of all is swapped to the front.

The permutation comes from the stream the reference Trainer draws it from: torch's RNG seeded
with the seed, where each epoch first draws one int64 (the reference's DataLoader takes its base
seed there) and then `randperm(n)`. Here that stream runs on a private generator, so it never
touches the global RNG, is the same on every rank, and a resumed run rebuilds any epoch's order.
Under DDP the order is dealt out as accelerate deals the reference's batches: whole batches,
rank r taking batches r, r + w, ..., the tail completed from the epoch's first examples (or
dropped with `drop_last`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from tfx_core.errors import ConfigError
from tfx_core.training.data import EpochSampler

MAX_MEGABATCH_GROUPS = 50


def grouped_order(lengths: Sequence[int], permutation: Sequence[int], group_size: int) -> list[int]:
    """`permutation` regrouped: mega-batches sorted by length (longest first, ties kept in
    permutation order), the longest example overall moved to the first position."""
    groups = min(len(lengths) // (group_size * 4), MAX_MEGABATCH_GROUPS) or 1
    size = groups * group_size
    megabatches = [
        sorted(permutation[start : start + size], key=lengths.__getitem__, reverse=True)
        for start in range(0, len(permutation), size)
    ]
    heads = [lengths[megabatch[0]] for megabatch in megabatches]
    longest = heads.index(max(heads))  # the first mega-batch holding the longest example
    first, other = megabatches[0], megabatches[longest]
    first[0], other[0] = other[0], first[0]
    return [index for megabatch in megabatches for index in megabatch]


class LengthGroupedSampler(EpochSampler):
    """This rank's indices of one epoch in length-grouped order; `skip` drops the first
    samples (resume). `batch_size` is the per-device batch, `group_size` the unit the order
    groups by (the reference's `batch_size * gradient_accumulation_steps`)."""

    def __init__(
        self,
        lengths: Sequence[int],
        *,
        batch_size: int,
        group_size: int,
        seed: int,
        num_replicas: int = 1,
        rank: int = 0,
        drop_last: bool = False,
    ) -> None:
        super().__init__(
            len(lengths), shuffle=True, seed=seed, num_replicas=num_replicas, rank=rank
        )
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.group_size = group_size
        self.drop_last = drop_last
        self._stream: tuple[int, torch.Tensor] | None = None  # (next epoch, generator state)

    def _permutation(self) -> list[int]:
        """The epoch's permutation: the `epoch + 1`-th `randperm` of the seeded stream."""
        generator = torch.Generator()
        if self._stream is not None and self._stream[0] <= self.epoch:
            epoch, state = self._stream
            generator.set_state(state)
        else:
            epoch = 0
            generator.manual_seed(self.seed)
        while True:
            torch.empty((), dtype=torch.int64).random_(generator=generator)  # the loader's seed
            permutation = torch.randperm(self.length, generator=generator)
            if epoch == self.epoch:
                break
            epoch += 1
        self._stream = (self.epoch + 1, generator.get_state())
        return permutation.tolist()

    def _indices(self) -> list[int]:
        order = grouped_order(self.lengths, self._permutation(), self.group_size)
        world = self.num_replicas
        if world == 1:
            return order
        span = world * self.batch_size  # one batch for every rank
        if self.drop_last:
            order = order[: len(order) // self.batch_size // world * span]
        elif len(order) % span:
            missing = span - len(order) % span
            order += (order * (missing // len(order) + 1))[:missing]
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        return [index for batch in batches[self.rank :: world] for index in batch]

    def __len__(self) -> int:
        if self.num_replicas == 1:
            per_rank = self.length
        elif self.drop_last:
            per_rank = self.length // self.batch_size // self.num_replicas * self.batch_size
        else:
            span = self.num_replicas * self.batch_size
            per_rank = -(-self.length // span) * self.batch_size
        return max(0, per_rank - self.skip)


def example_lengths(
    dataset: Any, length_column_name: str = "length", model_input_name: str | None = None
) -> list[int]:
    """Each example's length: the `length_column_name` column of a `datasets.Dataset` that has
    it, else `len(example[model_input_name])` (`input_ids` by default), as the reference."""
    columns = getattr(dataset, "column_names", None)
    if _is_hf_dataset(dataset) and isinstance(columns, list) and length_column_name in columns:
        return [int(value) for value in dataset[length_column_name]]
    name = model_input_name or "input_ids"
    first = dataset[0]
    if not isinstance(first, Mapping) or name not in first:
        found = sorted(first) if isinstance(first, Mapping) else type(first).__name__
        raise ConfigError(
            f"group_by_length=True needs each training example's length: the examples have no "
            f"{name!r} field (found {found}) and the dataset has no {length_column_name!r} "
            "column. Add a length column to the datasets.Dataset (and set length_column_name), "
            "give examples an input_ids field, or set group_by_length=False."
        )
    return [len(dataset[index][name]) for index in range(len(dataset))]


def _is_hf_dataset(dataset: Any) -> bool:
    """Whether `dataset` is a `datasets.Dataset`, without importing `datasets` for others."""
    return any(
        cls.__module__.startswith("datasets.") and cls.__name__ == "Dataset"
        for cls in type(dataset).__mro__
    )


def train_sampler(
    dataset: Any, args: Any, processing_class: Any, *, seed: int, num_replicas: int, rank: int
) -> LengthGroupedSampler:
    """The Trainer's length-grouped training sampler: lengths as the reference finds them (the
    processor's first model input names the field to measure), grouped by the examples of one
    optimizer step on one device."""
    names = getattr(processing_class, "model_input_names", None)
    model_input_name = names[0] if isinstance(names, (list, tuple)) and names else None
    return LengthGroupedSampler(
        example_lengths(dataset, args.length_column_name, model_input_name),
        batch_size=args.per_device_train_batch_size,
        group_size=args.per_device_train_batch_size * args.gradient_accumulation_steps,
        seed=seed,
        num_replicas=num_replicas,
        rank=rank,
        drop_last=args.dataloader_drop_last,
    )
