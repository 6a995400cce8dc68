"""XLM's tokenizer: Moses normalization and tokenization (`sacremoses`), optional lower-casing
and accent removal (`do_lowercase_and_remove_accent`), then BPE over `vocab.json` + `merges.txt`.

The Moses + BPE converter and tokenizer are the core's (`tfx_core.tokenization.converters.
moses_bpe`, shared with FlauBERT); this module names them as the reference does.
`tokenizer(text, lang="fr")` tokenizes with that language's Moses rules (default "en");
"zh", "ja" and "th" need the reference's segmenters (`rjieba`, `Mykytea`, `pythainlp`).
"""

from __future__ import annotations

from tfx_core.tokenization.converters.moses_bpe import convert_xlm
from tfx_core.tokenization.moses import MosesBPETokenizer


class XLMTokenizer(MosesBPETokenizer):
    """Ids as the reference's XLMTokenizer, plus offsets into the original text."""

    reference_class = "XLMTokenizer"


__all__ = ["XLMTokenizer", "convert_xlm"]
