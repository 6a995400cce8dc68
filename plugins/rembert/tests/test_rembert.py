"""RemBERT against transformers beyond the kit: every head with token types, padding and labels
(logits, losses, hidden states, attentions <= 1e-5, weights moved both ways), and the
SentencePiece tokenizer (`sentencepiece.model`) on a mixed corpus, in both libraries' files."""

import io
import json

import pytest
import torch

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")

import tfx_plugin_rembert.modeling_rembert as tfx_rembert  # noqa: E402

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_sdk.conformance import MIXED_TEXTS, assert_same_encodings  # noqa: E402

TINY = dict(
    vocab_size=99,
    hidden_size=32,
    input_embedding_size=24,
    output_embedding_size=40,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
    type_vocab_size=3,
    num_labels=3,
    bos_token_id=2,
    eos_token_id=3,
)
STATES = ("hidden_states", "attentions")


def _inputs(choices=False):
    generator = torch.Generator().manual_seed(6)
    shape = (2, 3, 9) if choices else (3, 9)
    mask = torch.ones(shape, dtype=torch.long)
    mask[1, ..., 6:] = 0
    return {
        "input_ids": torch.randint(4, 99, shape, generator=generator),
        "attention_mask": mask,
        "token_type_ids": torch.randint(0, 3, shape, generator=generator),
    }


LABELS = {
    "ForMaskedLM": lambda i: {
        "labels": torch.where(i["attention_mask"].bool(), i["input_ids"], -100)
    },
    "ForCausalLM": lambda i: {"labels": i["input_ids"]},
    "ForSequenceClassification": lambda i: {"labels": torch.tensor([0, 2, 1])},
    "ForTokenClassification": lambda i: {"labels": torch.randint(0, 3, (3, 9))},
    "ForQuestionAnswering": lambda i: {
        "start_positions": torch.tensor([1, 8, 0]),
        "end_positions": torch.tensor([2, 8, 4]),
    },
    "ForMultipleChoice": lambda i: {"labels": torch.tensor([2, 0])},
}


@pytest.mark.parametrize("head", ["Model", *LABELS])
def test_heads_match_the_reference(check_parity, head):
    config = transformers.RemBertConfig(**TINY, is_decoder=head == "ForCausalLM")
    if head == "ForQuestionAnswering":
        config.num_labels = 2
    inputs = _inputs(choices=head == "ForMultipleChoice")
    if head == "Model":
        outputs = ("last_hidden_state", "pooler_output", *STATES)
    else:
        inputs = {**inputs, **LABELS[head](inputs)}
        first = ("start_logits", "end_logits") if head == "ForQuestionAnswering" else ("logits",)
        outputs = (*first, "loss", *STATES)
    check_parity(
        getattr(tfx_rembert, f"RemBert{head}"),
        getattr(transformers, f"RemBert{head}"),
        config,
        inputs,
        outputs,
    )


def _model_file() -> bytes:
    buffer = io.BytesIO()
    texts = [t for t in MIXED_TEXTS if t] * 20 + [
        "the quick brown fox jumps over the lazy dog"
    ] * 20
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts),
        model_writer=buffer,
        vocab_size=300,
        hard_vocab_limit=False,
        minloglevel=2,
        model_type="unigram",
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
    )
    return buffer.getvalue()


@pytest.mark.parametrize("lower", [False, True])
def test_tokenizer_matches_the_reference(tmp_path, lower):
    (tmp_path / "sentencepiece.model").write_bytes(_model_file())
    config = {  # google/rembert's keys
        "tokenizer_class": "RemBertTokenizer",
        "do_lower_case": lower,
        "keep_accents": not lower,
        "unk_token": "<unk>",
        "pad_token": "<pad>",
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(ours).__name__ == type(theirs).__name__ == "RemBertTokenizerFast"
    texts = [*MIXED_TEXTS, "a [MASK] here", "``quoted''   spaced"]
    assert_same_encodings(ours, theirs, texts)
    ours.save_pretrained(tmp_path / "ours")
    assert_same_encodings(
        ours, transformers.AutoTokenizer.from_pretrained(tmp_path / "ours"), texts
    )
    theirs.save_pretrained(tmp_path / "theirs")
    assert_same_encodings(AutoTokenizer.from_pretrained(tmp_path / "theirs"), theirs, texts)
