"""One file serves every framework: TF saves what torch and `transformers` load, and back."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tfx_core.errors import ConfigError, LoadError
from tfx_core.weights import open_checkpoint

IDS = np.array([[5, 17, 33, 2, 61, 8], [9, 4, 71, 23, 0, 0]], np.int64)
MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]], np.int64)


def _torch_logits(model) -> np.ndarray:
    with torch.no_grad():
        return model(
            input_ids=torch.from_numpy(IDS), attention_mask=torch.from_numpy(MASK)
        ).logits.numpy()


def test_tf_save_loads_in_transformers_and_tfx_torch(saved_reference, tf_model_class, tmp_path):
    import transformers
    from tfx_plugin_bert.modeling_bert import BertForMaskedLM

    _, folder = saved_reference("bert", "BertForMaskedLM")
    model = tf_model_class("bert", "BertForMaskedLM").from_pretrained(folder)
    out = tmp_path / "saved-by-tf"
    model.save_pretrained(out)

    with open_checkpoint(out) as reader:  # PyTorch names and metadata; tied weights once
        assert reader.metadata.get("format") == "pt"
        assert "bert.embeddings.word_embeddings.weight" in reader
        assert "cls.predictions.decoder.weight" not in reader
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["BertForMaskedLM"]

    expected = np.asarray(model(input_ids=IDS, attention_mask=MASK).logits)
    reference = transformers.BertForMaskedLM.from_pretrained(out).eval()
    ours = BertForMaskedLM.from_pretrained(out, strict=True)
    np.testing.assert_allclose(_torch_logits(reference), expected, atol=1e-5)
    np.testing.assert_allclose(_torch_logits(ours), expected, atol=1e-5)
    assert reference.cls.predictions.decoder.weight.data_ptr() == (
        reference.bert.embeddings.word_embeddings.weight.data_ptr()
    )


def test_torch_save_loads_in_tf_sharded(saved_reference, tf_model_class, tmp_path):
    reference, _folder = saved_reference("gpt2", "GPT2LMHeadModel")
    sharded = tmp_path / "sharded"
    reference.save_pretrained(sharded, max_shard_size="20KB")
    assert (sharded / "model.safetensors.index.json").is_file()
    model = tf_model_class("gpt2", "GPT2LMHeadModel").from_pretrained(sharded, strict=True)
    np.testing.assert_allclose(
        np.asarray(model(input_ids=IDS[:1]).logits),
        reference(input_ids=torch.from_numpy(IDS[:1])).logits.detach().numpy(),
        atol=1e-5,
    )
    # and a sharded save from TF reads back identically
    resaved = tmp_path / "tf-sharded"
    model.save_pretrained(resaved, max_shard_size="20KB")
    again = tf_model_class("gpt2", "GPT2LMHeadModel").from_pretrained(resaved, strict=True)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(again.state_dict()[key], value)


def test_base_checkpoint_into_head_reports_missing(saved_reference, tf_model_class):
    _, folder = saved_reference("bert", "BertModel")
    model = tf_model_class("bert", "BertForSequenceClassification").from_pretrained(folder)
    assert set(model.load_report.missing) == {"classifier.weight", "classifier.bias"}
    with pytest.raises(LoadError, match="classifier"):
        tf_model_class("bert", "BertForSequenceClassification").from_pretrained(folder, strict=True)


def test_mismatched_shapes_are_reported_not_loaded(saved_reference, tf_model_class):
    _, folder = saved_reference("bert", "BertForSequenceClassification", num_labels=3)
    cls = tf_model_class("bert", "BertForSequenceClassification")
    model = cls.from_pretrained(folder, num_labels=5)
    assert {key for key, _, _ in model.load_report.mismatched} == {
        "classifier.weight",
        "classifier.bias",
    }


def test_failed_save_leaves_nothing(saved_reference, tf_model_class, tmp_path, monkeypatch):
    _, folder = saved_reference("distilbert", "DistilBertModel")
    model = tf_model_class("distilbert", "DistilBertModel").from_pretrained(folder)
    target = tmp_path / "never"

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("tfx_core.modeling.keras.base.save_state_dict", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save_pretrained(target)
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_dtype_and_bad_arguments(saved_reference, tf_model_class):
    _, folder = saved_reference("bert", "BertModel")
    cls = tf_model_class("bert", "BertModel")
    half = cls.from_pretrained(folder, dtype="bfloat16")
    assert {v.dtype for v in half.weights} == {"bfloat16"}
    assert half.dtype_name == "bfloat16"
    with pytest.raises(ConfigError, match="Unsupported dtype"):
        cls.from_pretrained(folder, dtype="int3")
    with pytest.raises(ConfigError, match="Unknown arguments"):
        cls.from_pretrained(folder, not_a_field=1)
