"""Datasets for feeding pipelines one column at a time (the reference's `pt_utils` names):
`for out in pipe(KeyDataset(dataset, "text"), batch_size=8): ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["KeyDataset", "KeyPairDataset"]


class KeyDataset(torch.utils.data.Dataset):
    """The `key` column of `dataset` (a `datasets.Dataset` or any sequence of dicts)."""

    def __init__(self, dataset: Any, key: str) -> None:
        self.dataset = dataset
        self.key = key

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[i][self.key]

    def __iter__(self) -> Iterator[Any]:
        return (self[i] for i in range(len(self)))


class KeyPairDataset(torch.utils.data.Dataset):
    """Two columns as `{"text": ..., "text_pair": ...}` (sentence-pair classification)."""

    def __init__(self, dataset: Any, key1: str, key2: str) -> None:
        self.dataset = dataset
        self.key1 = key1
        self.key2 = key2

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.dataset[i]
        return {"text": row[self.key1], "text_pair": row[self.key2]}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self[i] for i in range(len(self)))
