"""The first-token shortcut (`first_token`): a classifier reading the pooled first token
computes the last layer at that position only, with the same logits, loss and gradients as
the full layer (and the reference), and never when something could see the difference."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tfx_plugin_bert.configuration_bert import BertConfig  # noqa: E402
from tfx_plugin_bert.modeling_bert import (  # noqa: E402
    BertForMultipleChoice,
    BertForSequenceClassification,
    BertLayer,
)

from tfx_core.modeling.torch.fast_paths import fast_paths  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=64,
    hidden_dropout_prob=0.0,
    attention_probs_dropout_prob=0.0,
    num_labels=3,
)


def _batch():
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 99, (3, 11), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": torch.tensor([0, 2, 1])}


@pytest.fixture
def model():
    torch.manual_seed(0)
    return BertForSequenceClassification(BertConfig(**TINY)).train()


def _last_layer_rows(model, batch, **kwargs) -> list[int]:
    """Rows (positions) the last layer's feed-forward saw, per call."""
    seen: list[int] = []
    dense = model.bert.encoder.layer[-1].intermediate.dense
    original = dense.forward
    dense.forward = lambda x: (seen.append(x.shape[1]), original(x))[1]
    try:
        model(**batch, **kwargs)
    finally:
        del dense.forward
    return seen


def _loss_and_grads(model, batch):
    model.zero_grad(set_to_none=True)
    out = model(**batch)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out.logits.detach(), out.loss.detach(), grads


def test_same_logits_loss_and_gradients_as_the_full_layer(model):
    batch = _batch()
    logits, loss, grads = _loss_and_grads(model, batch)
    with fast_paths(False):
        full_logits, full_loss, full_grads = _loss_and_grads(model, batch)
    assert (logits - full_logits).abs().max() < 1e-6
    assert (loss - full_loss).abs() < 1e-6
    assert grads.keys() == full_grads.keys()
    for name, grad in grads.items():
        assert (grad - full_grads[name]).abs().max() < 1e-6, name


def test_the_shortcut_is_taken_and_switched_off(model):
    batch = _batch()
    assert _last_layer_rows(model, batch) == [1]
    with fast_paths(False):
        assert _last_layer_rows(model, batch) == [11]
    assert _last_layer_rows(model, batch, output_hidden_states=True) == [11]
    assert _last_layer_rows(model, batch, output_attentions=True) == [11]


def test_matches_the_reference_in_training(model, tmp_path):
    model.save_pretrained(tmp_path)
    ref = transformers.BertForSequenceClassification.from_pretrained(tmp_path).train()
    batch = _batch()
    logits, loss, grads = _loss_and_grads(model, batch)
    out = ref(**batch)
    out.loss.backward()
    assert (logits - out.logits).abs().max() < 1e-5
    assert (loss - out.loss).abs() < 1e-5
    ref_grads = dict(ref.named_parameters())
    for name, grad in grads.items():
        assert (grad - ref_grads[name].grad).abs().max() < 1e-5, name


def test_hooks_and_patches_see_the_full_layer(model):
    batch = _batch()
    shapes = []
    handle = model.bert.encoder.layer[-1].register_forward_hook(
        lambda module, args, output: shapes.append(output[0].shape[1])
    )
    try:
        assert _last_layer_rows(model, batch) == [11]
    finally:
        handle.remove()
    assert shapes == [11]
    calls = []
    original = BertLayer.forward

    def patched(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    BertLayer.forward = patched
    try:
        model(**batch)
    finally:
        BertLayer.forward = original
    assert len(calls) == TINY["num_hidden_layers"]


def test_hidden_states_and_multiple_choice(tmp_path):
    torch.manual_seed(0)
    config = BertConfig(**{**TINY, "num_labels": 2})
    model = BertForMultipleChoice(config).train()
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(5, 99, (2, 3, 9), generator=generator)
    labels = torch.tensor([2, 0])
    out = model(input_ids=ids, labels=labels)
    with fast_paths(False):
        full = model(input_ids=ids, labels=labels)
    assert (out.logits - full.logits).abs().max() < 1e-6
    hidden = model(input_ids=ids, output_hidden_states=True).hidden_states
    assert all(h.shape[1] == 9 for h in hidden)
