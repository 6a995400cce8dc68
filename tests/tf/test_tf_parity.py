"""Every TF head against the `transformers` PyTorch class on the same file (fp32, padded)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

ENCODER_HEADS = [
    "Model",
    "ForMaskedLM",
    "ForSequenceClassification",
    "ForTokenClassification",
    "ForQuestionAnswering",
    "ForMultipleChoice",
]
CASES = [
    *[("bert", "Bert" + head) for head in ENCODER_HEADS],
    ("bert", "BertLMHeadModel"),
    ("bert", "BertForNextSentencePrediction"),
    ("bert", "BertForPreTraining"),
    *[("roberta", "Roberta" + head) for head in ENCODER_HEADS],
    ("roberta", "RobertaForCausalLM"),
    *[("distilbert", "DistilBert" + head) for head in ENCODER_HEADS],
    ("gpt2", "GPT2Model"),
    ("gpt2", "GPT2LMHeadModel"),
    ("gpt2", "GPT2ForSequenceClassification"),
    ("gpt2", "GPT2ForTokenClassification"),
]
CAUSAL = {"BertLMHeadModel", "RobertaForCausalLM"}


def _inputs(model_type: str, class_name: str) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(0)
    ids = rng.randint(3, 97, (2, 9)).astype(np.int64)
    mask = np.ones_like(ids)
    pad = {"roberta": 1, "gpt2": 0}.get(model_type, 0)
    ids[1, 6:], mask[1, 6:] = pad, 0  # right padding in the second row
    inputs = {"input_ids": ids, "attention_mask": mask}
    if model_type in ("bert", "roberta") and model_type == "bert":
        inputs["token_type_ids"] = np.concatenate(
            [np.zeros((2, 5), np.int64), np.ones((2, 4), np.int64)], axis=1
        )
    if "MultipleChoice" in class_name:
        inputs = {key: np.stack([value, value[::-1]], axis=1) for key, value in inputs.items()}
    return inputs


@pytest.mark.parametrize(("model_type", "class_name"), CASES, ids=[c for _, c in CASES])
def test_logits_match_reference(saved_reference, tf_model_class, model_type, class_name):
    overrides = {"num_labels": 3} if "Classification" in class_name else {}
    if class_name in CAUSAL:
        overrides["is_decoder"] = True
    if model_type == "gpt2" and "Classification" in class_name:
        overrides["pad_token_id"] = 0
    reference, folder = saved_reference(model_type, class_name, **overrides)
    model = tf_model_class(model_type, class_name).from_pretrained(folder, strict=True)
    inputs = _inputs(model_type, class_name)
    with torch.no_grad():
        expected = reference(**{k: torch.from_numpy(v) for k, v in inputs.items()})
    got = model(**inputs)
    keys = [k for k in expected if k.endswith("logits") or k == "last_hidden_state"]
    assert keys
    mask = inputs["attention_mask"].astype(bool)
    for key in keys:
        want, have = expected[key].numpy(), np.asarray(got[key])
        assert have.shape == want.shape, key
        if model_type == "gpt2" and have.ndim == 3:  # padded positions are not compared
            want, have = want[mask], have[mask]
        np.testing.assert_allclose(have, want, atol=1e-5, rtol=0, err_msg=key)
