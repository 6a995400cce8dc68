"""Tokenizer converters: legacy vocabulary files to a `tokenizers.Tokenizer`.

Each converter is `convert(folder, tokenizer_config) -> tokenizers.Tokenizer`, equal to the
reference library's slow->fast conversion of the same files, and fills in the
`tokenizer_config` defaults its family implies. The core registers them (see `catalog`);
plugins refer to them by `"tfx_core.tokenization.converters:<function>"`.

    WordPiece (vocab.txt)                    convert_wordpiece
    byte-level BPE (vocab.json + merges.txt) convert_byte_level_bpe, convert_roberta_bpe
    fastBPE (vocab.txt + bpe.codes)          convert_fastbpe (BERTweet, PhoBERT)
    Moses + BPE (vocab.json + merges.txt)    convert_xlm, convert_flaubert (needs sacremoses)
    SentencePiece (.model, unigram or BPE)   convert_sentencepiece, convert_xlm_roberta,
                                             convert_camembert, convert_mbart, convert_t5,
                                             convert_albert, convert_xlnet, convert_pegasus,
                                             convert_llama, convert_rembert
    DeBERTa family (spm.model; vocab.json)   convert_deberta_v2, convert_deberta_bpe
    MPNet (vocab.txt); FNet (spiece.model)   convert_mpnet, convert_fnet
    Funnel (vocab.txt)                       convert_funnel
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULES = {
    "convert_wordpiece": "wordpiece",
    "convert_byte_level_bpe": "byte_level",
    "convert_roberta_bpe": "byte_level",
    "convert_fastbpe": "fastbpe",
    "convert_xlm": "moses_bpe",
    "convert_flaubert": "moses_bpe",
    "convert_deberta_v2": "encoder_families",
    "convert_deberta_bpe": "encoder_families",
    "convert_mpnet": "encoder_families",
    "convert_fnet": "encoder_families",
    "convert_funnel": "encoder_families",
    **dict.fromkeys(
        (
            "convert_albert",
            "convert_camembert",
            "convert_llama",
            "convert_mbart",
            "convert_pegasus",
            "convert_rembert",
            "convert_sentencepiece",
            "convert_t5",
            "convert_xlm_roberta",
            "convert_xlnet",
        ),
        "sentencepiece_families",
    ),
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    """Converters are imported on first use: the catalog is read at plugin discovery."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
