"""Tokenization: one `Tokenizer` class over the `tokenizers` library, HF-compatible files.

    from tfx_core.tokenization import Tokenizer
    tokenizer = Tokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    batch = tokenizer(["a text", "another"], padding=True, truncation=True, return_tensors="np")

`tokenizer.json` is the canonical format; legacy vocabularies (vocab.txt, vocab.json +
merges.txt) are converted by plugins through the `tfx_tokenizer_converters` hook.
"""

from tokenizers import AddedToken

from tfx_core.tokenization.batch_encoding import BatchEncoding, CharSpan, TokenSpan
from tfx_core.tokenization.tensors import FrameworkNotInstalledError
from tfx_core.tokenization.tokenizer import Tokenizer, clean_up_tokenization

__all__ = [
    "AddedToken",
    "BatchEncoding",
    "CharSpan",
    "FrameworkNotInstalledError",
    "TokenSpan",
    "Tokenizer",
    "clean_up_tokenization",
]
