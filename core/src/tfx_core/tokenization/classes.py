"""The reference's tokenizer class names, so scripts written for it run after an import change.

`BertTokenizerFast.from_pretrained(...)`, `T5TokenizerFast("spiece.model")`,
`isinstance(tok, PreTrainedTokenizerBase)`: each name is a `Tokenizer` whose `reference_class`
decides the converter of legacy files and the class defaults (no token_type_ids for RoBERTa,
left padding for XLNet, ...), as the class does in the reference. The slow names
(`BertTokenizer`) are the same classes: tfx has only fast tokenizers.
"""

from __future__ import annotations

from tfx_core.tokenization.class_names import FASTBPE_STEMS, NAMES, STEMS
from tfx_core.tokenization.cpm import CpmTokenizer, CpmTokenizerFast
from tfx_core.tokenization.fastbpe import FastBPETokenizer
from tfx_core.tokenization.tokenizer import Tokenizer

PreTrainedTokenizerFast = Tokenizer
PreTrainedTokenizerBase = Tokenizer
PreTrainedTokenizer = Tokenizer


def _named(stem: str) -> type[Tokenizer]:
    return type(
        f"{stem}TokenizerFast",
        (FastBPETokenizer if stem in FASTBPE_STEMS else Tokenizer,),
        {
            "reference_class": f"{stem}Tokenizer",
            "__module__": __name__,
            "__doc__": f"`Tokenizer` with the behaviour of the reference's {stem}TokenizerFast.",
        },
    )


_CLASSES = {stem: _named(stem) for stem in STEMS}
_CLASSES["Cpm"] = CpmTokenizerFast  # jieba pre-segmentation: its own class (tokenization.cpm)
globals().update({f"{stem}TokenizerFast": cls for stem, cls in _CLASSES.items()})
globals().update({f"{stem}Tokenizer": cls for stem, cls in _CLASSES.items()})


def class_for(tokenizer_class: str | None) -> type[Tokenizer]:
    """The named class for a config's `tokenizer_class` ("BertTokenizerFast"), else `Tokenizer`."""
    stem = (tokenizer_class or "").removesuffix("Fast").removesuffix("Tokenizer")
    return _CLASSES.get(stem, Tokenizer)


def plugin_class_for(tokenizer_class: str | None, model_type: str | None) -> type[Tokenizer] | None:
    """A plugin's own tokenizer class (`ArchitectureSpec.tokenizers`) named `tokenizer_class`,
    else the first one of `model_type`'s architecture; None when no plugin brings one."""
    from tfx_core.errors import TfxError
    from tfx_core.plugins import get_registry
    from tfx_core.utils.imports import import_string, split_reference

    def stem(name: str) -> str:
        return name.removesuffix("Fast")

    try:
        table = get_registry().architectures()
    except TfxError:
        return None
    wanted = stem(tokenizer_class) if tokenizer_class else None
    fallback = None
    for key, specs in table.items():
        for spec in specs[:1]:
            for reference in spec.tokenizers:
                if wanted is not None and stem(split_reference(reference)[1]) == wanted:
                    return import_string(reference)
                if key == model_type and fallback is None:
                    fallback = reference
    if fallback is not None and (wanted is None or class_for(tokenizer_class) is Tokenizer):
        return import_string(fallback)
    return None


def resolve_class(tokenizer_class: str | None, model_type: str | None) -> type[Tokenizer]:
    """The class `AutoTokenizer` builds: a plugin's own class, else the core's named class."""
    return plugin_class_for(tokenizer_class, model_type) or class_for(tokenizer_class)


__all__ = [
    *NAMES,
    "CpmTokenizer",
    "CpmTokenizerFast",
    "class_for",
    "plugin_class_for",
    "resolve_class",
]
