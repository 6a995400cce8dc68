"""TensorFlow tests: run in their own pytest process (`make test` runs `pytest tests/tf`
separately). TensorFlow and PyTorch each start their own thread pools and TF's import takes
seconds, so isolating them keeps the PyTorch suite's workers lean and the CPU count honest.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytest.importorskip("tensorflow")
pytest.importorskip("keras")

TINY_ENCODER = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "type_vocab_size": 2,
}
TINY_DISTILBERT = {
    "vocab_size": 99,
    "dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "hidden_dim": 37,
    "max_position_embeddings": 64,
}
TINY_GPT2 = {
    "vocab_size": 99,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_positions": 64,
    "bos_token_id": 98,
    "eos_token_id": 98,
}
#: model_type -> (transformers config class name, tiny fields, tfx plugin modeling module)
ARCHITECTURES = {
    "bert": ("BertConfig", TINY_ENCODER, "tfx_plugin_bert.modeling_tf_bert"),
    "roberta": (
        "RobertaConfig",
        {**TINY_ENCODER, "pad_token_id": 1},
        "tfx_plugin_roberta.modeling_tf_roberta",
    ),
    "distilbert": (
        "DistilBertConfig",
        TINY_DISTILBERT,
        "tfx_plugin_distilbert.modeling_tf_distilbert",
    ),
    "gpt2": ("GPT2Config", TINY_GPT2, "tfx_plugin_gpt2.modeling_tf_gpt2"),
}


def reference_model(model_type: str, class_name: str, **overrides):
    """A tiny random `transformers` PyTorch model (seeded), in eval mode."""
    import torch
    import transformers

    config_name, fields, _ = ARCHITECTURES[model_type]
    config = getattr(transformers, config_name)(**{**fields, **overrides})
    torch.manual_seed(0)
    model = getattr(transformers, class_name)(config).eval()
    with torch.no_grad():  # non-zero biases and norms, so a wrong mapping cannot hide
        for name, param in model.named_parameters():
            if (
                name.endswith("bias")
                or "LayerNorm" in name
                or "ln_" in name
                or "layer_norm" in name
            ):
                param.add_(torch.randn_like(param) * 0.1)
    return model


def tf_class(model_type: str, class_name: str):
    import importlib

    return getattr(importlib.import_module(ARCHITECTURES[model_type][2]), "TF" + class_name)


@pytest.fixture
def saved_reference(tmp_path):
    """Save a tiny reference model; returns (model, folder)."""

    def make(model_type: str, class_name: str, **overrides):
        model = reference_model(model_type, class_name, **overrides)
        folder = tmp_path / f"{model_type}-{class_name}"
        model.save_pretrained(folder)
        return model, folder

    return make


@pytest.fixture
def tf_model_class():
    """`tf_model_class("bert", "BertForMaskedLM")` -> `TFBertForMaskedLM`."""
    return tf_class
