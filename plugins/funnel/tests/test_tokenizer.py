"""Funnel's tokenizer (BERT's WordPiece from `vocab.txt` through the core's `convert_funnel`)
against `transformers.FunnelTokenizerFast` built from the same files.

The vocabulary has the real checkpoints' special tokens (`<cls>`, `<sep>`, `<pad>`, `<mask>`,
`<unk>`, `<s>`, `</s>`) and no `tokenizer_config.json`, so the class defaults must agree; a
second folder is cased. On the mixed corpus (accents, CJK, emoji, long words, odd whitespace),
singles, pairs and a padded, truncated batch: ids, token types (`<cls>` in type 2), masks,
offsets and special-token masks identical, and each library loads what the other saved.
"""

from __future__ import annotations

import json
import string
import warnings

import pytest

transformers = pytest.importorskip("transformers")

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_sdk.conformance import MIXED_TEXTS, assert_same_encodings  # noqa: E402
from tfx_sdk.conformance.tiny_tokenizers import WORDS  # noqa: E402

SPECIALS = ("<cls>", "<sep>", "<pad>", "<mask>", "<unk>", "<s>", "</s>")
TEXTS = [*MIXED_TEXTS, "a <mask> here <sep> and <cls>", "Paris is the Capital of FRANCE"]
CONFIGS = {"default": None, "cased": {"tokenizer_class": "FunnelTokenizer", "do_lower_case": False}}


def _vocab() -> list[str]:
    characters = string.ascii_letters + string.digits + string.punctuation + "éèàçø東京日本北"
    pieces = [*SPECIALS, *characters, *(f"##{c}" for c in characters)]
    return pieces + [w for w in [*WORDS, "Paris", "##ing", "##s"] if w not in pieces]


@pytest.fixture(params=list(CONFIGS))
def folder(request, tmp_path):
    (tmp_path / "vocab.txt").write_text("\n".join(_vocab()) + "\n", encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "funnel"}))
    if CONFIGS[request.param] is not None:
        (tmp_path / "tokenizer_config.json").write_text(json.dumps(CONFIGS[request.param]))
    return tmp_path


def _reference(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.FunnelTokenizerFast.from_pretrained(str(path))


def test_encodings_match_the_reference(folder):
    ours, theirs = AutoTokenizer.from_pretrained(folder), _reference(folder)
    assert_same_encodings(ours, theirs, TEXTS)
    assert ours("hello", "world")["token_type_ids"] == [2, 0, 0, 1, 1]
    assert ours.special_tokens_map == theirs.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(theirs), theirs.vocab_size)


def test_saved_files_load_both_ways(folder, tmp_path_factory):
    ours, theirs = AutoTokenizer.from_pretrained(folder), _reference(folder)
    saved = tmp_path_factory.mktemp("saved")
    ours.save_pretrained(saved / "tfx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = transformers.AutoTokenizer.from_pretrained(str(saved / "tfx"))
    assert type(loaded).__name__ == "FunnelTokenizerFast"
    assert_same_encodings(ours, loaded, TEXTS)
    theirs.save_pretrained(saved / "hf")
    assert_same_encodings(AutoTokenizer.from_pretrained(saved / "hf"), theirs, TEXTS)
