"""The reference's tokenizer class names, so scripts written for it run after an import change.

`BertTokenizerFast.from_pretrained(...)`, `T5TokenizerFast("spiece.model")`,
`isinstance(tok, PreTrainedTokenizerBase)`: each name is a `Tokenizer` whose `reference_class`
decides the converter of legacy files and the class defaults (no token_type_ids for RoBERTa,
left padding for XLNet, ...), as the class does in the reference. The slow names
(`BertTokenizer`) are the same classes: tfx has only fast tokenizers.
"""

from __future__ import annotations

from tfx_core.tokenization.class_names import NAMES, STEMS
from tfx_core.tokenization.tokenizer import Tokenizer

PreTrainedTokenizerFast = Tokenizer
PreTrainedTokenizerBase = Tokenizer
PreTrainedTokenizer = Tokenizer


def _named(stem: str) -> type[Tokenizer]:
    return type(
        f"{stem}TokenizerFast",
        (Tokenizer,),
        {
            "reference_class": f"{stem}Tokenizer",
            "__module__": __name__,
            "__doc__": f"`Tokenizer` with the behaviour of the reference's {stem}TokenizerFast.",
        },
    )


_CLASSES = {stem: _named(stem) for stem in STEMS}
globals().update({f"{stem}TokenizerFast": cls for stem, cls in _CLASSES.items()})
globals().update({f"{stem}Tokenizer": cls for stem, cls in _CLASSES.items()})


def class_for(tokenizer_class: str | None) -> type[Tokenizer]:
    """The named class for a config's `tokenizer_class` ("BertTokenizerFast"), else `Tokenizer`."""
    stem = (tokenizer_class or "").removesuffix("Fast").removesuffix("Tokenizer")
    return _CLASSES.get(stem, Tokenizer)


__all__ = [*NAMES, "class_for"]
