"""Train in one framework, serve in another: `compile()`/`fit()` on the head's own loss."""

from __future__ import annotations

import numpy as np
import torch


def _dataset(tf, tokenizer_like_ids, labels):
    features = {"input_ids": tokenizer_like_ids, "attention_mask": np.ones_like(tokenizer_like_ids)}
    return tf.data.Dataset.from_tensor_slices({**features, "labels": labels}).batch(4)


def test_fit_then_serve_in_torch_and_transformers(saved_reference, tf_model_class, tmp_path):
    import keras
    import tensorflow as tf
    import transformers
    from tfx_plugin_bert.modeling_bert import BertForSequenceClassification

    _, folder = saved_reference("bert", "BertForSequenceClassification", num_labels=2)
    model = tf_model_class("bert", "BertForSequenceClassification").from_pretrained(folder)
    rng = np.random.RandomState(0)
    ids = rng.randint(3, 97, (8, 6)).astype(np.int32)
    labels = (ids[:, 0] > 50).astype(np.int32)
    before = model.get_weights()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=False)  # no loss argument
    history = model.fit(_dataset(tf, ids, labels), epochs=3, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

    out = tmp_path / "fine-tuned-in-tf"
    model.save_pretrained(out)
    expected = np.asarray(model(input_ids=ids).logits)
    for torch_class in (transformers.BertForSequenceClassification, BertForSequenceClassification):
        served = torch_class.from_pretrained(out).eval()
        with torch.no_grad():
            got = served(input_ids=torch.from_numpy(ids.astype(np.int64))).logits.numpy()
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_train_in_torch_then_serve_in_tf(saved_reference, tf_model_class, tmp_path):
    reference, _ = saved_reference("roberta", "RobertaForTokenClassification", num_labels=3)
    ids = torch.randint(3, 97, (2, 7))
    labels = torch.randint(0, 3, (2, 7))
    reference.train()
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        reference(input_ids=ids, labels=labels).loss.backward()
        optimizer.step()
    reference.eval()
    out = tmp_path / "trained-in-torch"
    reference.save_pretrained(out)
    model = tf_model_class("roberta", "RobertaForTokenClassification").from_pretrained(
        out, strict=True
    )
    with torch.no_grad():
        want = reference(input_ids=ids, labels=labels)
    got = model(input_ids=ids.numpy(), labels=labels.numpy())
    np.testing.assert_allclose(np.asarray(got.logits), want.logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(float(got.loss), float(want.loss), atol=1e-5)
