"""The examples/ optax train step: data-parallel over two CPU devices, then served in PyTorch."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import jax
import numpy as np
import pytest
import torch
from flax_reference import save_reference

from tfx_core import AutoTokenizer, FlaxAutoModelForSequenceClassification
from tfx_sdk.conformance.tiny_tokenizers import write_wordpiece

EXAMPLE = Path(__file__).parents[2] / "examples" / "flax_finetune_classifier.py"


def _example():
    spec = importlib.util.spec_from_file_location("flax_finetune_classifier", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(len(jax.devices()) < 2, reason="needs two JAX devices (run tests/flax alone)")
def test_data_parallel_fine_tune_then_serve_in_pytorch(tmp_path):
    example = _example()
    vocab = write_wordpiece(tmp_path)
    save_reference(tmp_path, "bert", "BertModel", vocab_size=vocab)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path)
    model = FlaxAutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=2)
    losses = example.fine_tune(model, tokenizer, example.TEXTS, steps=20, learning_rate=1e-2)
    assert losses[-1] < 0.5 * losses[0]
    assert len(model.classifier.kernel[...].sharding.device_set) == 2  # replicated on both

    out = tmp_path / "tuned"
    model.save_pretrained(out)
    from tfx_core import AutoModelForSequenceClassification

    served = AutoModelForSequenceClassification.from_pretrained(out, strict=True)
    batch = tokenizer(["I love this movie", "a dull mess"], padding=True, return_tensors="np")
    with torch.no_grad():
        expected = served(**{k: torch.tensor(v) for k, v in batch.items()}).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(**batch).logits), expected, atol=1e-5, rtol=0)
