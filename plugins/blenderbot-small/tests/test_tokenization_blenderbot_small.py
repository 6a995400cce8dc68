"""BlenderbotSmallTokenizer against the reference's (slow) BlenderbotSmallTokenizer.

A small BPE vocabulary is trained here the way the reference's files are laid out (`merges.txt`
with `</w>` word ends, `vocab.json` with `@@` on pieces that continue a word). Ids, token
strings, decodes and special tokens must be identical, and saved folders load both ways.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

transformers = pytest.importorskip("transformers")

from tfx_plugin_blenderbot_small.tokenization_blenderbot_small import (  # noqa: E402
    BlenderbotSmallTokenizer,
)

from tfx_core import AutoTokenizer  # noqa: E402
from tfx_sdk.conformance.tiny_sentencepiece import CORPUS, TRAINING  # noqa: E402

TEXTS = [*CORPUS, "Hello.World (yes) don't!\nNext line", "__start__ hi __end__ __unk__"]


def _words(text: str) -> list[str]:
    """The reference's word splitting, to train the vocabulary on."""
    words = []
    for word in re.findall(r"\S+\n?", text):
        word = re.sub("([.,!?()])", r" \1", word)
        word = re.sub("(')", r" \1 ", word).replace("\n", " __newln__")
        words += [w.lower() for w in word.split(" ") if w]
    return words


def write_tokenizer(folder: Path) -> None:
    """A BPE trained on the corpus, written as the reference's vocab.json + merges.txt."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE(end_of_word_suffix="</w>"))
    bpe.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    trainer = trainers.BpeTrainer(vocab_size=400, end_of_word_suffix="</w>", show_progress=False)
    bpe.train_from_iterator([" ".join(_words(text)) for text in TRAINING], trainer)
    state = json.loads(bpe.to_str())["model"]
    spelled = sorted(state["vocab"], key=state["vocab"].get)
    spelled = [t[:-4] if t.endswith("</w>") else t + "@@" for t in spelled]
    tokens = ["__null__", "__start__", "__end__", "__unk__", *spelled]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    merges = "\n".join(" ".join(m) if isinstance(m, list) else m for m in state["merges"])
    (folder / "merges.txt").write_text(f"#version: 0.2\n{merges}\n")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "BlenderbotSmallTokenizer"})
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blenderbot-small")
    write_tokenizer(folder)
    return folder


def test_ids_tokens_and_decodes_match(folder):
    ours = AutoTokenizer.from_pretrained(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.BlenderbotSmallTokenizer.from_pretrained(str(folder))
    assert type(ours) is BlenderbotSmallTokenizer
    assert ours(TEXTS).data == ref(TEXTS).data
    assert ours(TEXTS[:5], TEXTS[5:10]).data == ref(TEXTS[:5], TEXTS[5:10]).data
    assert ours.special_tokens_map == ref.special_tokens_map
    assert (len(ours), ours.vocab_size) == (len(ref), ref.vocab_size)
    for ids in ref(TEXTS)["input_ids"]:
        assert ours.convert_ids_to_tokens(ids) == ref.convert_ids_to_tokens(ids)
        for skip in (False, True):
            assert ours.decode(ids, skip_special_tokens=skip) == ref.decode(
                ids, skip_special_tokens=skip
            )
    assert ours.convert_tokens_to_ids(["hel@@", "Lo", "__end__"]) == ref.convert_tokens_to_ids(
        ["hel@@", "Lo", "__end__"]
    )


def test_saved_folders_load_both_ways(folder, tmp_path):
    ours = AutoTokenizer.from_pretrained(folder)
    ours.save_pretrained(tmp_path / "tfx")
    # The reference's AutoTokenizer picks its BlenderbotSmallTokenizerFast, a byte-level BPE
    # that cannot read these files (nor its own slow class's): its slow class is the reference.
    ref = transformers.BlenderbotSmallTokenizer.from_pretrained(str(tmp_path / "tfx"))
    assert ref(TEXTS).data == ours(TEXTS).data
    ref.save_pretrained(tmp_path / "ref")
    again = AutoTokenizer.from_pretrained(tmp_path / "ref")
    assert again(TEXTS).data == ref(TEXTS).data
