"""OpenAI GPT's tokenizer: `vocab.json` + `merges.txt` to a `tokenizers.Tokenizer`.

The original BPE is not byte-level: text is cleaned, lower-cased, accent-stripped and split on
whitespace and punctuation (BERT's basic tokenization, which is what the reference falls back
to when `ftfy`/`spacy` are not installed, and what its fast tokenizer does), then each word is
merged with `</w>` marking its last symbol. Symbols outside the vocabulary become `<unk>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers
from tokenizers.models import BPE

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.byte_level import (
    MERGES_FILE,
    VOCAB_FILE,
    read_merges,
    read_vocab,
)

WORD_END = "</w>"

_DEFAULTS: dict[str, Any] = {
    "unk_token": "<unk>",
    "do_lower_case": True,
    "model_input_names": ["input_ids", "attention_mask"],
}


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def convert_openai_gpt_bpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """The reference's `OpenAIGPTTokenizerFast` built from the legacy files in `folder`."""
    for key, value in _DEFAULTS.items():
        tokenizer_config.setdefault(key, value)
    folder = Path(folder)
    unk = _content(tokenizer_config["unk_token"])
    try:
        model = BPE(
            vocab=read_vocab(folder / VOCAB_FILE),
            merges=read_merges(folder / MERGES_FILE),
            dropout=None,
            unk_token=unk,
            end_of_word_suffix=WORD_END,
            fuse_unk=False,
        )
    except TokenizerError:
        raise
    except Exception as exc:  # e.g. a merge whose parts are not in the vocabulary
        raise TokenizerError(f"{folder}: vocab.json and merges.txt do not agree: {exc}") from exc
    tokenizer = Tokenizer(model)
    if tokenizer.token_to_id(unk) is not None:
        tokenizer.add_special_tokens([unk])
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.BPEDecoder(suffix=WORD_END)
    return tokenizer
