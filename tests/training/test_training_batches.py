"""The Trainer's per-epoch batches: the DataLoader's own batches, fetched directly."""

from __future__ import annotations

import pytest
import torch

from tfx_core.training.data import EpochSampler, batches, make_loader


class Items(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        self.n = n
        self.fetched: list = []

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        self.fetched.append(i)
        return {"x": torch.tensor([i, i * i])}


class ManyItems(Items):
    def __getitems__(self, indices: list[int]) -> list[dict]:
        self.fetched.append(tuple(indices))
        return [{"x": torch.tensor([i, i * i])} for i in indices]


def _collate(rows: list[dict]) -> dict:
    return {"x": torch.stack([r["x"] for r in rows])}


def _loader(dataset, drop_last: bool, workers: int = 0, shuffle: bool = True):
    sampler = EpochSampler(len(dataset), shuffle=shuffle, seed=3, num_replicas=1, rank=0)
    sampler.set_epoch(2, skip=3)
    loader = make_loader(
        dataset, sampler, 4, _collate, drop_last=drop_last, num_workers=workers,
        pin_memory=False, seed=0,
    )  # fmt: skip
    return loader


@pytest.mark.parametrize("dataset_class", [Items, ManyItems])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_batches_as_the_dataloader(dataset_class, drop_last: bool) -> None:
    direct_data, loader_data = dataset_class(18), dataset_class(18)
    direct = list(batches(_loader(direct_data, drop_last)))
    expected = list(iter(_loader(loader_data, drop_last)))
    assert not isinstance(
        batches(_loader(direct_data, drop_last)), torch.utils.data.dataloader._BaseDataLoaderIter
    )
    assert len(direct) == len(expected) == (3 if drop_last else 4)  # 15 after the skip
    for got, want in zip(direct, expected, strict=True):
        assert torch.equal(got["x"], want["x"])
    assert direct_data.fetched == loader_data.fetched  # same calls: __getitems__ when there


def test_global_rng_untouched() -> None:
    torch.manual_seed(0)
    before = torch.get_rng_state()
    list(batches(_loader(Items(10), False)))
    assert torch.equal(torch.get_rng_state(), before)


def test_worker_loaders_iterate_as_usual() -> None:
    loader = _loader(Items(8), False, workers=1)
    iterator = batches(loader)
    assert isinstance(iterator, torch.utils.data.dataloader._BaseDataLoaderIter)
    assert [b["x"].shape[0] for b in iterator] == [4, 1]
