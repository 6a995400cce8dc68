"""tfx-plugin-openai-gpt against the tfx conformance kit, and its tokenizer against the reference.

The kit drives every head (parity with transformers both ways, fast path == module path,
greedy decoding with the KV cache); the tokenizer tests compare ids and decoding with the
reference's slow tokenizer (its BasicTokenizer path, taken without ftfy/spacy) and fast one.
"""

import json
from pathlib import Path

import pytest

from tfx_core import AutoTokenizer
from tfx_sdk.conformance import ConformanceSuite, PluginTester

LETTERS = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,!?'-")
MERGES = [
    ("h", "e"),
    ("he", "l"),
    ("l", "o</w>"),
    ("hel", "lo</w>"),
    ("t", "h"),
    ("th", "e</w>"),
    ("w", "o"),
    ("r", "l"),
    ("rl", "d</w>"),
    ("c", "a"),
    ("ca", "t</w>"),
    ("e", "s</w>"),
]


def write_openai_gpt_bpe(folder: Path) -> int:
    """Tiny OpenAI-GPT-style files (`</w>` word ends, `<unk>`); returns the vocabulary size."""
    vocab: dict[str, int] = {}
    for piece in LETTERS + [letter + "</w>" for letter in LETTERS]:
        vocab[piece] = len(vocab)
    for left, right in MERGES:
        vocab[left + right] = len(vocab)
    vocab["<unk>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    rules = "\n".join(f"{left} {right}" for left, right in MERGES)
    (folder / "merges.txt").write_text(f"#version: 0.2\n{rules}\n")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "OpenAIGPTTokenizer"})
    )
    return len(vocab)


TINY = {
    "vocab_size": 120,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_positions": 64,
    "pad_token_id": 0,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="openai-gpt",
        config=TINY,
        reference=True,
        tokenizer_files=write_openai_gpt_bpe,
        reference_tokenizer=True,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
        },
    )


TEXTS = [
    "Hello world!",
    "The CAT's hat-trick, 42 times.",
    "Héllo  wörld\n\nthe  end",
    "中文 and ümlauts",
    "tabs\tand\u00a0nbsp",
    "",
    "unknown ~ § symbols ☃",
]


@pytest.mark.parametrize("use_fast", [False, True], ids=["slow", "fast"])
def test_tokenizer_matches_reference(tmp_path, use_fast):
    transformers = pytest.importorskip("transformers")
    write_openai_gpt_bpe(tmp_path)
    ours = AutoTokenizer.from_pretrained(tmp_path)
    theirs = transformers.AutoTokenizer.from_pretrained(tmp_path, use_fast=use_fast)
    assert type(theirs).__name__.startswith("OpenAIGPTTokenizer")
    for text in TEXTS:
        ids = ours(text)["input_ids"]
        assert ids == theirs(text)["input_ids"], text
        assert ours.decode(ids) == theirs.decode(ids), text
    assert ours.unk_token == "<unk>" and "token_type_ids" not in ours("a b")
    assert ours.convert_ids_to_tokens(ours("hello")["input_ids"]) == ["hello</w>"]
