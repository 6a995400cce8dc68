"""Tokenization: one `Tokenizer` class over the `tokenizers` library, HF-compatible files.

    from tfx_core.tokenization import Tokenizer
    tokenizer = Tokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
    batch = tokenizer(["a text", "another"], padding=True, truncation=True, return_tensors="np")

`tokenizer.json` is the canonical format; legacy vocabularies (vocab.txt, vocab.json +
merges.txt) are converted by plugins through the `tfx_tokenizer_converters` hook.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from tfx_core.tokenization.class_names import NAMES

#: Public name -> the module that defines it, imported on first use (plugin discovery imports
#: `tfx_core.tokenization.converters.catalog` and must not pay for `tokenizers` and numpy).
_EXPORTS = {
    "AddedToken": "tokenizers",
    "BatchEncoding": "tfx_core.tokenization.batch_encoding",
    "CharSpan": "tfx_core.tokenization.batch_encoding",
    "TokenSpan": "tfx_core.tokenization.batch_encoding",
    "FrameworkNotInstalledError": "tfx_core.tokenization.tensors",
    "Tokenizer": "tfx_core.tokenization.tokenizer",
    "clean_up_tokenization": "tfx_core.tokenization.tokenizer",
}

# The reference's class names (`BertTokenizerFast`, `PreTrainedTokenizerFast`, ...).
_EXPORTS.update(dict.fromkeys(NAMES, "tfx_core.tokenization.classes"))

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
