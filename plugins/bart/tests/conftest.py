"""Fixtures shared by the BART tests: the tiny config and a seeded reference saved to disk.

Tests run with --import-mode=importlib, so they share these as fixtures, not as a module."""

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import transformers

_TINY = dict(
    vocab_size=99,
    d_model=16,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=4,
    decoder_attention_heads=2,
    encoder_ffn_dim=24,
    decoder_ffn_dim=20,
    max_position_embeddings=40,
)

Reference = transformers.BartForConditionalGeneration


@pytest.fixture
def bart_tiny() -> dict:
    """The tiny BART config as keyword arguments (a fresh copy per test)."""
    return dict(_TINY)


@pytest.fixture(scope="session")
def bart_reference(tmp_path_factory) -> Callable[..., tuple[Path, Reference]]:
    """Factory: `make(seed, name, prepare=None)` builds the tiny reference after seeding, lets
    `prepare(reference)` edit it without autograd, saves it to a new folder `name` and returns
    `(folder, reference)`."""

    def make(
        seed: int, name: str, prepare: Callable[[Reference], None] | None = None
    ) -> tuple[Path, Reference]:
        torch.manual_seed(seed)
        reference = Reference(transformers.BartConfig(**_TINY)).eval()
        if prepare is not None:
            with torch.no_grad():
                prepare(reference)
        folder = tmp_path_factory.mktemp(name)
        reference.save_pretrained(folder)
        return folder, reference

    return make
