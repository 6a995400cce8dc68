"""Tokenizers of the T5 family: T5 / mT5 SentencePiece (the core's converter) and ByT5 bytes.

ByT5 has no vocabulary file: every UTF-8 byte `b` is token `b + 3` after `<pad>` (0), `</s>`
(1) and `<unk>` (2), followed by the `<extra_id_N>` sentinels (259 + N). It is built here as a
`tokenizers` pipeline: a byte-level pre-tokenizer (one symbol per byte, no regex split), a BPE
model without merges (so each byte symbol is its own token), `</s>` appended to each text, and a
byte-level decoder. Ids, padding, pairs and decoding match the reference's `ByT5Tokenizer`;
token strings spell bytes in the byte-level alphabet (`Ġ` for a space) where the reference uses
`chr(byte)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfx_core.errors import TokenizerError

BYTE_OFFSET = 3
SPECIALS = ("<pad>", "</s>", "<unk>")
DEFAULT_EXTRA_IDS = 125


def is_byt5(tokenizer_config: dict) -> bool:
    name = str(tokenizer_config.get("tokenizer_class") or "")
    return name.removesuffix("Fast").removesuffix("Tokenizer") == "ByT5"


def convert_t5_family(folder: Path, tokenizer_config: dict) -> Any:
    """`spiece.model` -> T5's SentencePiece tokenizer; a ByT5 config -> the byte tokenizer."""
    from tfx_core.tokenization.converters import convert_t5

    if (folder / "spiece.model").is_file():
        return convert_t5(folder, tokenizer_config)
    if is_byt5(tokenizer_config):
        return convert_byt5(folder, tokenizer_config)
    raise TokenizerError(
        f"No T5 tokenizer in {folder}: there is no tokenizer.json, no spiece.model, and "
        "tokenizer_config.json does not name ByT5Tokenizer. Add the checkpoint's spiece.model "
        "(or tokenizer.json)."
    )


def _sentinels(tokenizer_config: dict) -> dict[int, str]:
    """id -> content of the tokens after the bytes (the config's, else `<extra_id_N>`)."""
    declared = tokenizer_config.get("added_tokens_decoder") or {}
    after_bytes = {}
    for index, token in declared.items():
        content = token.get("content") if isinstance(token, dict) else str(token)
        if int(index) >= BYTE_OFFSET + 256 and content:
            after_bytes[int(index)] = content
    if after_bytes:
        return after_bytes
    count = tokenizer_config.get("extra_ids") or DEFAULT_EXTRA_IDS
    if not isinstance(count, int) or count < 0:
        raise TokenizerError(f"ByT5 extra_ids must be an int >= 0, got {count!r}.")
    return {BYTE_OFFSET + 256 + i: f"<extra_id_{i}>" for i in range(count)}


def convert_byt5(folder: Path, tokenizer_config: dict) -> Any:
    """The ByT5 byte tokenizer (`tokenizer_class` ByT5Tokenizer; no vocabulary file)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from tokenizers.pre_tokenizers import ByteLevel

    if not is_byt5(tokenizer_config):
        raise TokenizerError(
            f"No tokenizer in {folder}: there is no tokenizer.json and tokenizer_config.json "
            f"names {tokenizer_config.get('tokenizer_class')!r}, whose vocabulary files are "
            "missing."
        )
    tokenizer_config.setdefault("eos_token", "</s>")
    tokenizer_config.setdefault("unk_token", "<unk>")
    tokenizer_config.setdefault("pad_token", "<pad>")
    sentinels = _sentinels(tokenizer_config)
    tokenizer_config.setdefault("additional_special_tokens", list(sentinels.values()))
    vocab = {token: index for index, token in enumerate(SPECIALS)}
    for byte, symbol in enumerate(sorted(ByteLevel.alphabet(), key=_byte_of)):
        vocab[symbol] = BYTE_OFFSET + byte
    for index in sorted(sentinels):
        vocab.setdefault(sentinels[index], index)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    # the reference strips the spaces around these three (e.g. "x </s> y" -> x, </s>, y)
    backend.add_special_tokens(
        [AddedToken(token, lstrip=True, rstrip=True, special=True) for token in SPECIALS]
    )
    return backend


def _byte_of(symbol: str) -> int:
    """The byte a byte-level symbol stands for (printable latin-1 maps to itself)."""
    code = ord(symbol)
    printable = (
        ord("!") <= code <= ord("~") or ord("¡") <= code <= ord("¬") or ord("®") <= code <= 255
    )
    if printable:
        return code
    shifted = [b for b in range(256) if not (33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255)]
    return shifted[code - 256]
