"""CTRL's tokenizer: `vocab.json` + `merges.txt` to a `tokenizers.Tokenizer`.

CTRL splits text into whitespace-separated words (a trailing newline stays with its word),
merges each word's characters with `merges.txt` (the last one marked `</w>`), and writes the
pieces the fastBPE way: every piece but a word's last ends in `@@` (`hel@@ lo`). The reference
has only this slow tokenizer; here its vocabulary is re-keyed for `tokenizers`' BPE (`hel@@` ->
`hel`, a word's last piece `lo` -> `lo</w>`), so ids are the reference's while the token strings
carry `</w>` instead of `@@`. Control codes ("Links", "Opinion", ...) are ordinary words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.byte_level import (
    MERGES_FILE,
    VOCAB_FILE,
    read_merges,
    read_vocab,
)

CONTINUES = "@@"
WORD_END = "</w>"
WORDS = r"\S+\n?"  # the reference's word pattern


def rekey_vocabulary(vocab: dict[str, int], keep: tuple[str, ...]) -> dict[str, int]:
    """CTRL's `piece@@` / `piece` entries as BPE's `piece` / `piece</w>` (same ids); the
    tokens in `keep` (special tokens) stay as they are."""
    rekeyed: dict[str, int] = {}
    for token, index in vocab.items():
        if token in keep:
            key = token
        elif token.endswith(CONTINUES):
            key = token[: -len(CONTINUES)]
        else:
            key = token + WORD_END
        if key and key not in rekeyed:
            rekeyed[key] = index
    return rekeyed


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def convert_ctrl_bpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """The reference's `CTRLTokenizer` as a `tokenizers.Tokenizer` (same ids)."""
    tokenizer_config.setdefault("unk_token", "<unk>")
    folder = Path(folder)
    unk = _content(tokenizer_config["unk_token"])
    vocab = rekey_vocabulary(read_vocab(folder / VOCAB_FILE), (unk,))
    # a merge whose result has no id can only give `<unk>` pieces in the reference; BPE needs
    # every merge result in its vocabulary, so such rules are left out
    merges = [
        (left, right)
        for left, right in read_merges(folder / MERGES_FILE)
        if left in vocab and right in vocab and left + right in vocab
    ]
    try:
        model = BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            unk_token=unk,
            end_of_word_suffix=WORD_END,
            fuse_unk=False,
        )
    except Exception as exc:
        raise TokenizerError(f"{folder}: cannot build CTRL's BPE from its files: {exc}") from exc
    tokenizer = Tokenizer(model)
    if tokenizer.token_to_id(unk) is not None:
        tokenizer.add_special_tokens([unk])
    tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex(WORDS), behavior="removed", invert=True)
    tokenizer.decoder = decoders.BPEDecoder(suffix=WORD_END)
    return tokenizer
