"""FlauBERT's tokenizer: NFC, optional lower-casing (`do_lowercase`), French Moses
normalization and tokenization (`sacremoses`), then BPE over `vocab.json` + `merges.txt`.

The Moses + BPE converter and tokenizer are the core's (`tfx_core.tokenization.converters.
moses_bpe`, shared with XLM); this module names them as the reference does.
"""

from __future__ import annotations

from tfx_core.tokenization.converters.moses_bpe import convert_flaubert
from tfx_core.tokenization.moses import MosesBPETokenizer


class FlaubertTokenizer(MosesBPETokenizer):
    """Ids as the reference's FlaubertTokenizer, plus offsets into the original text."""

    reference_class = "FlaubertTokenizer"
    per_call_language = False


__all__ = ["FlaubertTokenizer", "convert_flaubert"]
