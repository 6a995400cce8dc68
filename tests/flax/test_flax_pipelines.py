"""`pipeline(..., framework="flax")` gives the same answers as the PyTorch pipeline."""

from __future__ import annotations

import numpy as np
import pytest
from flax_reference import save_reference

from tfx_core import pipeline
from tfx_core.errors import PipelineError
from tfx_sdk.conformance.tiny_tokenizers import write_byte_level_bpe, write_wordpiece

CASES = [
    ("text-classification", "bert", "BertForSequenceClassification", "I love this movie"),
    ("fill-mask", "bert", "BertForMaskedLM", "paris is the [MASK] of france"),
    ("token-classification", "distilbert", "DistilBertForTokenClassification", "hello paris"),
    (
        "question-answering",
        "roberta",
        "RobertaForQuestionAnswering",
        {"question": "where is the fox", "context": "the quick brown fox jumps over the dog"},
    ),
    ("feature-extraction", "bert", "BertModel", "hello world"),
    ("text-generation", "gpt2", "GPT2LMHeadModel", "the quick brown"),
]


def _folder(tmp_path, model_type, name):
    if model_type in ("bert", "distilbert"):
        vocab = write_wordpiece(tmp_path)
    else:
        vocab = write_byte_level_bpe(
            tmp_path, style="roberta" if model_type == "roberta" else "gpt2"
        )
    overrides = {"vocab_size": vocab, "num_labels": 2 if "Question" in name else 3}
    if model_type == "gpt2":
        overrides.update(bos_token_id=vocab - 1, eos_token_id=vocab - 1, pad_token_id=vocab - 1)
    return save_reference(tmp_path, model_type, name, **overrides)


def _close(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    elif isinstance(a, float):
        assert a == pytest.approx(b, abs=1e-4)
    else:
        assert a == b


@pytest.mark.parametrize(("task", "model_type", "name", "item"), CASES, ids=[c[0] for c in CASES])
def test_flax_pipeline_matches_torch_pipeline(tmp_path, task, model_type, name, item):
    folder = _folder(tmp_path, model_type, name)
    options = {"max_new_tokens": 4, "do_sample": False} if task == "text-generation" else {}
    torch_result = pipeline(task, model=str(folder))(item, **options)
    flax_pipe = pipeline(task, model=str(folder), framework="flax")
    assert type(flax_pipe.model.model).__name__ == f"Flax{name}"
    flax_result = flax_pipe(item, **options)
    if task == "feature-extraction":
        np.testing.assert_allclose(np.asarray(flax_result), np.asarray(torch_result), atol=1e-5)
    else:
        _close(flax_result, torch_result)


def test_loaded_flax_model_and_unknown_framework(tmp_path):
    folder = _folder(tmp_path, "bert", "BertForSequenceClassification")
    from tfx_core import FlaxAutoModelForSequenceClassification

    model = FlaxAutoModelForSequenceClassification.from_pretrained(folder)
    result = pipeline("text-classification", model=model, tokenizer=str(folder), framework="flax")(
        ["I love this", "bad movie"]
    )
    assert len(result) == 2 and {"label", "score"} <= set(result[0])
    with pytest.raises(PipelineError, match="framework='flax'"):
        pipeline("text-classification", model=str(folder), framework="mxnet")


def test_return_tensors_jax_feeds_the_model(tmp_path):
    import jax

    from tfx_core import AutoTokenizer, FlaxAutoModelForMaskedLM

    folder = _folder(tmp_path, "bert", "BertForMaskedLM")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(["hello world", "the fox"], padding=True, return_tensors="jax")
    assert isinstance(batch["input_ids"], jax.Array)
    logits = FlaxAutoModelForMaskedLM.from_pretrained(folder)(**batch).logits
    assert logits.shape[:2] == batch["input_ids"].shape
