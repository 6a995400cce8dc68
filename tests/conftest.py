"""Fixtures the pipeline tests share: one torch thread, seeded images, tiny perturbed checkpoints.

A module opts in to one thread with `pytestmark = pytest.mark.usefixtures("one_thread")`;
`images` reads the module's `IMAGE_SIZES`; `perturbed_checkpoint` writes a random reference
model (and its processor) with every weight moved off its initial value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for the module (the reference and tfx timed and run alike)."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def images(request) -> list:
    """RGB images of seeded noise, one per `(height, width)` of the module's `IMAGE_SIZES`."""
    image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    return [
        image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        for height, width in request.module.IMAGE_SIZES
    ]


@pytest.fixture(scope="module")
def perturbed_checkpoint(tmp_path_factory) -> Callable[..., str]:
    """`perturbed_checkpoint(name, build, processor, scale=0.2, adjust=None)`: a folder with
    `build()`'s model (built after seeding torch with 0, `scale` times normal noise added to
    every parameter, then `adjust(model)`) and `processor`, both saved by transformers."""
    torch = pytest.importorskip("torch")

    def save(
        name: str,
        build: Callable[[], Any],
        processor: Any,
        scale: float = 0.2,
        adjust: Callable[[Any], None] | None = None,
    ) -> str:
        folder = tmp_path_factory.mktemp(name)
        torch.manual_seed(0)
        model = build()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.add_(torch.randn_like(parameter) * scale)
            if adjust is not None:
                adjust(model)
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
        return str(folder)

    return save
