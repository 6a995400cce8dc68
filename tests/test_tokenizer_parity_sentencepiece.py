"""Parity of the core's SentencePiece converters with the reference's slow->fast conversion.

Tiny `.model` files are trained here with `sentencepiece` on the shared corpus (unigram and BPE,
laid out as each family's real checkpoints are: T5's pad/eos/unk ids, ALBERT's control symbols,
byte fallback for Llama). Each folder holds only the `.model` file and a config.json naming the
model type; tfx converts it, the reference builds its fast tokenizer class from the same file.
Ids, token types, attention masks, offsets, special-token masks, padding, decodes, the special
tokens and the added-token table must be identical, and a folder tfx saves must load in the
reference to the same tokenizer.
"""

from __future__ import annotations

import importlib.util
import io
import json
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")
spm = pytest.importorskip("sentencepiece")
pytest.importorskip("google.protobuf")

from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_core.plugins import reset_registry  # noqa: E402
from tfx_core.tokenization import Tokenizer  # noqa: E402

HERE = Path(__file__).resolve().parent


def _corpus():
    spec = importlib.util.spec_from_file_location("tfx_spm_corpus", HERE / "tokenizer_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_module = _corpus()
CORPUS = _module.build_corpus()
# The very long texts of the corpus are left to tests/test_tokenizer_parity.py: SentencePiece
# models are slow on them, and what they exercise (truncation windows) is the core's, not the
# converters'.
SHORT = [text for text in CORPUS if len(text) < 2000]
FIRST, SECOND = (part[:250] for part in _module.pairs(SHORT))
TRAINING = [text for text in SHORT if text]

#: name -> SentencePieceTrainer options (each family's id layout)
MODELS = {
    "unigram": dict(model_type="unigram"),
    "bpe": dict(model_type="bpe"),
    "t5": dict(model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1),
    "albert": dict(
        model_type="unigram",
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
    ),
    "xlnet": dict(
        model_type="unigram",
        control_symbols=["<cls>", "<sep>", "<pad>", "<mask>", "<eod>", "<eop>"],
    ),
    "llama": dict(model_type="bpe", byte_fallback=True, vocab_size=800, character_coverage=0.995),
}

#: case -> (reference class, trained model, file name, model_type, tokenizer_config.json or None)
CASES = {
    "xlm-roberta": (
        "XLMRobertaTokenizerFast",
        "unigram",
        "sentencepiece.bpe.model",
        "xlm-roberta",
        None,
    ),
    "camembert": (
        "CamembertTokenizerFast",
        "unigram",
        "sentencepiece.bpe.model",
        "camembert",
        None,
    ),
    "mbart": ("MBartTokenizerFast", "unigram", "sentencepiece.bpe.model", "mbart", None),
    "t5": ("T5TokenizerFast", "t5", "spiece.model", "t5", None),
    "t5-not-legacy": ("T5TokenizerFast", "t5", "spiece.model", "t5", {"legacy": False}),
    "albert": ("AlbertTokenizerFast", "albert", "spiece.model", "albert", None),
    "albert-cased": (
        "AlbertTokenizerFast",
        "albert",
        "spiece.model",
        "albert",
        {"do_lower_case": False, "keep_accents": True},
    ),
    "xlnet": ("XLNetTokenizerFast", "xlnet", "spiece.model", "xlnet", None),
    "pegasus": ("PegasusTokenizerFast", "t5", "spiece.model", "pegasus", None),
    "reformer-bpe": ("ReformerTokenizerFast", "bpe", "spiece.model", "reformer", None),
    "llama": ("LlamaTokenizerFast", "llama", "tokenizer.model", "llama", None),
    "llama-not-legacy": (
        "LlamaTokenizerFast",
        "llama",
        "tokenizer.model",
        "llama",
        {"legacy": False},
    ),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, bytes]:
    built = {}
    for name, options in MODELS.items():
        options = dict(options)
        buffer = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(TRAINING),
            model_writer=buffer,
            vocab_size=options.pop("vocab_size", 400),
            hard_vocab_limit=False,
            minloglevel=2,
            **options,
        )
        built[name] = buffer.getvalue()
    return built


@pytest.fixture(scope="module")
def pair_of(models, tmp_path_factory):
    """case -> (tfx tokenizer, reference tokenizer, folder)."""
    reset_registry()
    root = tmp_path_factory.mktemp("spm")
    built: dict[str, tuple] = {}

    def build(case: str):
        if case not in built:
            class_name, model, file_name, model_type, config = CASES[case]
            folder = root / case
            folder.mkdir()
            (folder / file_name).write_bytes(models[model])
            (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
            if config is not None:
                (folder / "tokenizer_config.json").write_text(json.dumps(config))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = getattr(transformers, class_name).from_pretrained(str(folder))
            built[case] = (Tokenizer.from_pretrained(folder), ref, folder)
        return built[case]

    yield build
    reset_registry()


def _assert_same(ours, ref, label):
    assert list(ours.keys()) == list(ref.keys()), label
    for key in ref:
        if ours[key] != ref[key]:
            rows = [i for i in range(len(ref[key])) if ours[key][i] != ref[key][i]]
            pytest.fail(f"{label}: {key} differs, first at row {rows[:1]}")


def _added(tokenizer) -> dict:
    return {
        index: (t.content, t.lstrip, t.rstrip, t.normalized, t.special)
        for index, t in tokenizer.added_tokens_decoder.items()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_encodings_match_the_reference(pair_of, case):
    ours, ref, _ = pair_of(case)
    calls = [
        ("singles", (SHORT,), dict(return_offsets_mapping=True, return_special_tokens_mask=True)),
        ("pairs", (FIRST, SECOND), dict(return_offsets_mapping=True, return_token_type_ids=True)),
        (
            "truncated",
            (FIRST, SECOND),
            dict(truncation="longest_first", max_length=24, return_token_type_ids=True),
        ),
    ]
    if ref.pad_token is not None:
        calls.append(
            (
                "padded",
                (FIRST[:100], SECOND[:100]),
                dict(padding=True, return_token_type_ids=True, pad_to_multiple_of=8),
            )
        )
    for label, args, kwargs in calls:
        _assert_same(ours(*args, **kwargs), ref(*args, **kwargs), f"{case} {label}")


@pytest.mark.parametrize("case", list(CASES))
def test_tokenizer_state_matches_the_reference(pair_of, case):
    ours, ref, _ = pair_of(case)
    assert ours.special_tokens_map == ref.special_tokens_map
    assert _added(ours) == _added(ref)
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    assert ours.padding_side == ref.padding_side
    assert ours.model_input_names == ref.model_input_names
    for ids in ref(SHORT[:150])["input_ids"]:
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )


@pytest.mark.parametrize("case", ["xlm-roberta", "t5", "albert", "llama"])
def test_saved_folder_loads_in_the_reference(pair_of, case, tmp_path):
    ours, ref, _ = pair_of(case)
    ours.save_pretrained(tmp_path)
    reloaded = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    assert type(reloaded).__name__ == type(ref).__name__
    sample = SHORT[:120]
    assert reloaded(sample)["input_ids"] == ref(sample)["input_ids"]
    assert reloaded.special_tokens_map == ref.special_tokens_map
    again = Tokenizer.from_pretrained(tmp_path)
    assert again(sample)["input_ids"] == ours(sample)["input_ids"]


def test_tokenizer_class_decides_the_family(models, tmp_path):
    """A spiece.model with only `tokenizer_class` (no model type) is read as that class's."""
    reset_registry()
    (tmp_path / "spiece.model").write_bytes(models["albert"])
    (tmp_path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "AlbertTokenizer"})
    )
    tok = Tokenizer.from_pretrained(tmp_path)
    ref = transformers.AlbertTokenizerFast.from_pretrained(str(tmp_path))
    assert tok(SHORT[:50])["input_ids"] == ref(SHORT[:50])["input_ids"]
    assert tok.cls_token == "[CLS]" and tok.mask_token == "[MASK]"


def test_broken_model_file_is_a_typed_error(tmp_path):
    reset_registry()
    (tmp_path / "spiece.model").write_bytes(b"\x00not a sentencepiece model")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "t5"}))
    with pytest.raises(TokenizerError, match="not a valid SentencePiece model"):
        Tokenizer.from_pretrained(tmp_path)


def test_missing_special_piece_names_the_role(models, tmp_path):
    reset_registry()
    (tmp_path / "spiece.model").write_bytes(models["unigram"])  # no [CLS] / [SEP] pieces
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "albert"}))
    with pytest.raises(TokenizerError, match=r"has no '\[CLS\]'"):
        Tokenizer.from_pretrained(tmp_path)


@pytest.mark.parametrize("case", ["xlm-roberta", "t5", "albert", "llama"])
def test_named_classes_build_from_the_model_file(pair_of, case):
    """`T5TokenizerFast("spiece.model")` and `T5TokenizerFast.from_pretrained(folder)`."""
    import tfx_core

    ours, ref, folder = pair_of(case)
    class_name, _, file_name, _, _ = CASES[case]
    named = getattr(tfx_core, class_name)
    sample = SHORT[:60]
    for built in (named.from_pretrained(folder), named(str(folder / file_name))):
        assert type(built).__name__ == class_name
        assert built(sample)["input_ids"] == ref(sample)["input_ids"]
        assert built.special_tokens_map == ref.special_tokens_map
    assert type(ours).__name__ == class_name  # from_pretrained on the base class picks it too
