"""Blenderbot's tokenizer: RoBERTa's byte-level BPE with only `</s>` added after the text.

Hub checkpoints ship `tokenizer.json`; this converter reads the legacy `vocab.json` +
`merges.txt` the way the reference's slow->fast conversion does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import BPE

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.byte_level import read_merges, read_vocab


def _special(content: str, *, lstrip: bool = False) -> dict[str, Any]:
    return {
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": not lstrip,
        "special": True,
    }


_DEFAULTS: dict[str, Any] = {
    "tokenizer_class": "BlenderbotTokenizer",
    "bos_token": _special("<s>"),
    "eos_token": _special("</s>"),
    "sep_token": _special("</s>"),
    "cls_token": _special("<s>"),
    "unk_token": _special("<unk>"),
    "pad_token": _special("<pad>"),
    "mask_token": _special("<mask>", lstrip=True),
    "add_prefix_space": False,
    "trim_offsets": True,
}


def convert_blenderbot(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """Byte-level BPE; `A </s>` (a pair is `A B`, as the reference's template leaves it)."""
    for key, value in _DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    if isinstance(tokenizer_config["mask_token"], str):  # as the reference's class: lstrip
        tokenizer_config["mask_token"] = _special(tokenizer_config["mask_token"], lstrip=True)
    folder = Path(folder)
    vocab = read_vocab(folder / "vocab.json")
    try:
        model = BPE(vocab=vocab, merges=read_merges(folder / "merges.txt"), fuse_unk=False)
    except Exception as exc:  # a merge whose parts are not in the vocabulary
        raise TokenizerError(f"{folder}: vocab.json and merges.txt do not agree: {exc}") from exc
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(
        add_prefix_space=bool(tokenizer_config["add_prefix_space"])
    )
    tokenizer.decoder = decoders.ByteLevel()
    eos = tokenizer_config["eos_token"]
    eos = eos["content"] if isinstance(eos, dict) else str(eos)
    if eos not in vocab:
        raise TokenizerError(f"{folder / 'vocab.json'} has no {eos!r} (eos_token).")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A:0 {eos}:0", special_tokens=[(eos, vocab[eos])]
    )
    return tokenizer
