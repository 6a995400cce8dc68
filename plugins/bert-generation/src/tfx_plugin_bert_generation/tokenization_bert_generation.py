"""BertGeneration's tokenizer: a plain SentencePiece model (`spiece.model`) with its own ids.

Nothing is added around the text (no BOS/EOS template), as the reference's
`BertGenerationTokenizer`; its special tokens default to `<s>`, `</s>`, `<unk>`, `<pad>` and the
separator `<::::>`.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer

from tfx_core.tokenization.converters import convert_sentencepiece

_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "sep_token": "<::::>",
}


def convert_bert_generation(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """`spiece.model` -> a `tokenizers.Tokenizer`; fills the reference's special-token defaults."""
    for role, token in _SPECIAL_TOKENS.items():
        tokenizer_config.setdefault(role, token)
    return convert_sentencepiece(folder, tokenizer_config)
