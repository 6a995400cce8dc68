"""The safetensors corpus, loaded by tfx's TensorFlow and Flax models.

Each case is the PyTorch corpus's case of the same seed (the same broken file or sharded
index); only the loader differs: `TFAutoModelForMaskedLM` / `FlaxAutoModelForMaskedLM` read it
and, when the load succeeds, run one forward that must give finite logits of the vocabulary's
width. The reference's TensorFlow and Flax classes are deprecated, so there is no reference
side.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tfx_fuzz import corpus_safetensors
from tfx_fuzz.checks import check_load, load_watched
from tfx_fuzz.harness import Case, CheckFailed

IDS = np.array([[2, 10, 11, 3]], dtype=np.int32)
#: a model's first call builds its layers (Keras traces them): seconds, more on a busy machine
TIMEOUT = 120.0


def _check_logits(logits: Any, vocab_size: int) -> None:
    logits = np.asarray(logits)
    if not np.isfinite(logits).all():
        raise CheckFailed("the loaded model gives non-finite logits")
    if logits.shape[-1] != vocab_size:
        raise CheckFailed(f"logits width {logits.shape[-1]} is not the vocabulary's {vocab_size}")


def _run_tf(folder: Path, prepared: Any) -> None:
    from tfx_core import TFAutoModelForMaskedLM

    model, messages = load_watched(lambda: TFAutoModelForMaskedLM.from_pretrained(folder))
    check_load(model, messages)
    vocab = model.config.vocab_size
    _check_logits(model(input_ids=IDS % max(1, vocab))[0], vocab)


def _run_flax(folder: Path, prepared: Any) -> None:
    from tfx_core import FlaxAutoModelForMaskedLM

    model, messages = load_watched(lambda: FlaxAutoModelForMaskedLM.from_pretrained(folder))
    check_load(model, messages)
    vocab = model.config.vocab_size
    _check_logits(model(input_ids=IDS % max(1, vocab))[0], vocab)


def tf_case(seed: int) -> Case:
    return replace(
        corpus_safetensors.case(seed),
        corpus="safetensors-tf",
        run=_run_tf,
        reference=None,
        timeout=TIMEOUT,
    )


def flax_case(seed: int) -> Case:
    return replace(
        corpus_safetensors.case(seed),
        corpus="safetensors-flax",
        run=_run_flax,
        reference=None,
        timeout=TIMEOUT,
    )


def warm_up_tf(side: str) -> None:
    """Import TensorFlow and build the model once, outside the cases' time limits."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from tfx_core import TFAutoModelForMaskedLM
    from tfx_fuzz import fixtures

    TFAutoModelForMaskedLM.from_pretrained(fixtures.built_folder("bert"))


def warm_up_flax(side: str) -> None:
    """Import JAX and build the model once, outside the cases' time limits."""
    from tfx_core import FlaxAutoModelForMaskedLM
    from tfx_fuzz import fixtures

    FlaxAutoModelForMaskedLM.from_pretrained(fixtures.built_folder("bert"))
