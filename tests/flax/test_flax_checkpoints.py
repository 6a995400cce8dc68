"""Loading and saving: Flax-saved folders load in transformers and tfx PyTorch and back; load
reports, strict mode, dtypes and bad input behave like the PyTorch base."""

from __future__ import annotations

import json
import subprocess
import sys

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from flax_reference import TINY, padded_inputs, save_reference
from safetensors import safe_open

from tfx_core import FlaxAutoModel, FlaxAutoModelForSequenceClassification
from tfx_core.errors import ConfigError, LoadError
from tfx_core.plugins import get_registry


def _flax_class(model_type: str, head: str):
    return get_registry().architecture(model_type).head(head).load("flax")


def _config(model_type: str, **overrides):
    from tfx_core.auto import AutoConfig

    return AutoConfig.for_model(model_type, **{**TINY[model_type], **overrides})


@pytest.mark.parametrize(
    ("model_type", "head", "reference_name"),
    [
        ("bert", "masked-lm", "BertForMaskedLM"),
        ("gpt2", "causal-lm", "GPT2LMHeadModel"),
        ("roberta", "sequence-classification", "RobertaForSequenceClassification"),
        ("distilbert", "question-answering", "DistilBertForQuestionAnswering"),
    ],
)
def test_flax_save_loads_in_transformers_and_tfx_torch(tmp_path, model_type, head, reference_name):
    import transformers

    from tfx_core import AutoModel

    overrides = {"num_labels": 2} if head == "question-answering" else {}
    model = _flax_class(model_type, head).from_config(_config(model_type, **overrides), seed=1)
    model.save_pretrained(tmp_path)
    with safe_open(str(tmp_path / "model.safetensors"), "np") as handle:
        assert handle.metadata()["format"] == "pt"
        saved = set(handle.keys())
    assert json.loads((tmp_path / "config.json").read_text())["architectures"] == [reference_name]

    reference = getattr(transformers, reference_name).from_pretrained(tmp_path).eval()
    reference.save_pretrained(tmp_path / "reference")
    with safe_open(str(tmp_path / "reference" / "model.safetensors"), "np") as handle:
        assert saved == set(handle.keys())  # the reference saves the very same keys

    ids, mask = padded_inputs(model_type)
    ours = model(input_ids=ids, attention_mask=mask)
    with torch.no_grad():
        theirs = reference(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
    key = "start_logits" if head == "question-answering" else "logits"
    np.testing.assert_allclose(np.asarray(ours[key]), theirs[key].numpy(), atol=1e-5, rtol=0)

    torch_model = AutoModel.from_pretrained(tmp_path) if head == "base" else None
    del torch_model
    tfx_torch = (
        get_registry()
        .architecture(model_type)
        .head(head)
        .load("pt")
        .from_pretrained(tmp_path, strict=True)
    )
    with torch.no_grad():
        mine = tfx_torch(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
    np.testing.assert_allclose(np.asarray(ours[key]), mine[key].numpy(), atol=1e-5, rtol=0)

    again = _flax_class(model_type, head).from_pretrained(tmp_path, strict=True)
    np.testing.assert_array_equal(
        np.asarray(again(input_ids=ids, attention_mask=mask)[key]), np.asarray(ours[key])
    )


def test_auto_classes_pick_flax_heads_and_report(tmp_path):
    save_reference(tmp_path, "bert", "BertForMaskedLM")
    base = FlaxAutoModel.from_pretrained(tmp_path)
    assert type(base).__name__ == "FlaxBertModel"
    assert base.load_report.ignored_unexpected or base.load_report.unexpected
    classifier = FlaxAutoModelForSequenceClassification.from_pretrained(tmp_path, num_labels=4)
    assert type(classifier).__name__ == "FlaxBertForSequenceClassification"
    assert set(classifier.load_report.missing) == {
        "bert.pooler.dense.weight",
        "bert.pooler.dense.bias",
        "classifier.weight",
        "classifier.bias",
    }
    assert classifier.classifier.kernel[...].shape == (32, 4)
    with pytest.raises(LoadError, match="missing"):
        FlaxAutoModelForSequenceClassification.from_pretrained(tmp_path, strict=True)
    fresh = FlaxAutoModel.from_config(_config("bert"))
    assert type(fresh).__name__ == "FlaxBertModel"


def test_mismatched_shapes_are_reported_and_initialised(tmp_path):
    save_reference(tmp_path, "bert", "BertForSequenceClassification", num_labels=3)
    model, report = _flax_class("bert", "sequence-classification").from_pretrained(
        tmp_path, num_labels=5, output_loading_info=True
    )
    assert ("classifier.weight", (3, 32), (5, 32)) in report.mismatched
    logits = model(input_ids=np.array([[4, 5, 6]])).logits
    assert logits.shape == (1, 5) and np.isfinite(np.asarray(logits)).all()


def test_bfloat16_loads_and_auto_dtype(tmp_path):
    reference = save_reference(tmp_path, "bert", "BertModel")
    model = _flax_class("bert", "base").from_pretrained(reference, dtype="bfloat16")
    assert model.embeddings.word_embeddings.embedding[...].dtype == jnp.bfloat16
    out = model(input_ids=np.array([[4, 5, 6]])).last_hidden_state
    assert out.dtype == jnp.bfloat16
    auto = _flax_class("bert", "base").from_pretrained(reference, dtype="auto")
    assert auto.dtype == jnp.float32
    with pytest.raises(ConfigError, match="Unsupported dtype"):
        _flax_class("bert", "base").from_pretrained(reference, dtype="int8")


def test_unknown_arguments_and_bad_configs_raise(tmp_path):
    reference = save_reference(tmp_path, "bert", "BertModel")
    with pytest.raises(ConfigError, match="Unknown arguments"):
        _flax_class("bert", "base").from_pretrained(reference, num_layerz=3)
    with pytest.raises(ConfigError, match="absolute"):
        _flax_class("bert", "base").from_config(
            _config("bert", position_embedding_type="relative_key")
        )


def test_failed_save_leaves_previous_folder_intact(tmp_path):
    model = _flax_class("gpt2", "causal-lm").from_config(_config("gpt2"))
    model.save_pretrained(tmp_path)
    before = (tmp_path / "model.safetensors").read_bytes()
    with pytest.raises(ConfigError):
        model.save_pretrained(tmp_path, max_shard_size="not a size")
    assert (tmp_path / "model.safetensors").read_bytes() == before


def test_import_tfx_core_imports_no_jax():
    code = "import sys, tfx_core; tfx_core.AutoModel; print('jax' in sys.modules, 'flax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_flax_load_and_save_import_no_torch(tmp_path):
    code = f"""
import sys
import numpy as np
from tfx_core import FlaxAutoModelForMaskedLM
from tfx_core.auto import AutoConfig
config = AutoConfig.for_model("bert", vocab_size=99, hidden_size=32, num_hidden_layers=1,
                              num_attention_heads=4, intermediate_size=37)
FlaxAutoModelForMaskedLM.from_config(config).save_pretrained({str(tmp_path)!r})
model = FlaxAutoModelForMaskedLM.from_pretrained({str(tmp_path)!r}, strict=True)
model(input_ids=np.array([[1, 2, 3]]))
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
