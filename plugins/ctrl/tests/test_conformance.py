"""tfx-plugin-ctrl against the tfx conformance kit, and its tokenizer against the reference.

The reference has only a slow CTRL tokenizer (it cannot read tokenizer.json), so the kit's
tokenizer check is the save/load round trip, and ids are compared with the reference's
tokenizer on the original files here.
"""

import json
from pathlib import Path

import pytest

from tfx_core import AutoTokenizer
from tfx_sdk.conformance import ConformanceSuite, PluginTester

LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)]
LETTERS += [chr(c) for c in range(ord("A"), ord("Z") + 1)] + list("0123456789.,!?'-\n")
MERGES = [
    ("h", "e"),
    ("he", "l"),
    ("l", "o</w>"),
    ("hel", "lo</w>"),
    ("L", "i"),
    ("Li", "n"),
    ("Lin", "k"),
    ("Link", "s</w>"),  # the control code "Links" is one token
    ("w", "o"),
    ("r", "l"),
    ("rl", "d</w>"),
    ("o", "r"),
    ("e", "s</w>"),
]


def write_ctrl_bpe(folder: Path) -> int:
    """Tiny CTRL-style files (`piece@@` continues a word); returns the vocabulary size."""
    vocab: dict[str, int] = {}
    for letter in LETTERS:
        vocab[letter + "@@"] = len(vocab)
        vocab[letter] = len(vocab)
    for left, right in MERGES:
        merged = left + right
        vocab[merged.removesuffix("</w>") if merged.endswith("</w>") else merged + "@@"] = len(
            vocab
        )
    vocab["<unk>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    rules = "\n".join(f"{left} {right}" for left, right in MERGES)
    (folder / "merges.txt").write_text(f"#version: 0.2\n{rules}\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "CTRLTokenizer"}))
    return len(vocab)


TINY = {
    "vocab_size": 160,
    "n_embd": 32,
    "dff": 37,
    "n_layer": 2,
    "n_head": 4,
    "n_positions": 64,
    "pad_token_id": 0,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="ctrl",
        config=TINY,
        reference=True,
        tokenizer_files=write_ctrl_bpe,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
        },
    )


TEXTS = [
    "Links Hello world!",
    "hello  world\n\nthe end\n",
    "Héllo wörld",
    "a b c",
    "",
    "  lead and trail  ",
    "x\ny\n\nz",
    "tab\tsep ☃",
]


def test_tokenizer_ids_match_reference(tmp_path):
    transformers = pytest.importorskip("transformers")
    write_ctrl_bpe(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "ctrl"}))
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert type(theirs).__name__ == "CTRLTokenizer"
    for text in TEXTS:
        assert ours(text)["input_ids"] == theirs(text)["input_ids"], text
        assert set(ours(text)) == set(theirs(text)), text
    ids = ours("Links hello world")["input_ids"]
    assert ids[0] == json.loads((tmp_path / "vocab.json").read_text())["Links"]  # control code
    assert ours.decode(ids) == theirs.decode(ids) == "Links hello world"
    saved = tmp_path / "saved"
    ours.save_pretrained(saved)
    assert (
        AutoTokenizer.from_pretrained(saved)(TEXTS[1])["input_ids"] == ours(TEXTS[1])["input_ids"]
    )
