"""M2M100's tokenizer: SentencePiece pieces with `vocab.json` ids and `__xx__` language tokens.

A text is written `__en__ X </s>` (the source language's token first; `text_target` uses the
target language's). The language tokens come after the vocabulary, in the reference's order of
the `language_codes` set (`m2m100`: 100 languages, `wmt21`: 8). `get_lang_id("fr")` is what
translation passes as `forced_bos_token_id`. The reference's tokenizer is slow-only, so
`save_pretrained` writes `vocab.json` and the SentencePiece model back next to `tokenizer.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from tokenizers import Tokenizer as RustTokenizer
from tokenizers import processors

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.sentencepiece import SPACE, read_model
from tfx_core.tokenization.converters.sentencepiece_vocab import (
    read_vocab_json,
    tokenizer_with_vocab,
)
from tfx_core.tokenization.languages import LanguageCodesTokenizer
from tfx_core.tokenization.tensors import to_python

SPM_FILE, VOCAB_FILE = "sentencepiece.bpe.model", "vocab.json"

#: M2M100's 100 languages, in the reference's order.
_M2M100_CODES = (
    "af am ar ast az ba be bg bn br bs ca ceb cs cy da de el en es et fa ff fi fr fy ga gd "
    "gl gu ha he hi hr ht hu hy id ig ilo is it ja jv ka kk km kn ko lb lg ln lo lt lv mg mk "
    "ml mn mr ms my ne nl no ns oc or pa pl ps pt ro ru sd si sk sl so sq sr ss su sv sw ta "
    "th tl tn tr uk ur uz vi wo xh yi yo zh zu"
)
#: The language sets of the reference (`language_codes` in tokenizer_config.json).
LANGUAGE_CODES: dict[str, tuple[str, ...]] = {
    "m2m100": tuple(_M2M100_CODES.split()),
    "wmt21": ("en", "ha", "is", "ja", "cs", "ru", "zh", "de"),
}


def _special(content: str) -> dict[str, Any]:
    return {
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def language_set(config: dict) -> tuple[str, ...]:
    name = config.get("language_codes", "m2m100")
    if name not in LANGUAGE_CODES:
        raise TokenizerError(
            f"tokenizer_config.json field 'language_codes' must be one of "
            f"{', '.join(LANGUAGE_CODES)}, got {name!r}."
        )
    return LANGUAGE_CODES[name]


def convert_m2m100(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """`sentencepiece.bpe.model` + `vocab.json`, then the language tokens, `__en__ X </s>`."""
    folder = Path(folder)
    tokenizer_config.setdefault("tokenizer_class", "M2M100Tokenizer")
    for role, token in (
        ("bos_token", "<s>"),
        ("eos_token", "</s>"),
        ("sep_token", "</s>"),
        ("pad_token", "<pad>"),
        ("unk_token", "<unk>"),
    ):
        tokenizer_config.setdefault(role, _special(token))
    codes = language_set(tokenizer_config)
    tokens = [f"__{code}__" for code in codes]
    vocab = read_vocab_json(folder / VOCAB_FILE)
    if "</s>" not in vocab:
        raise TokenizerError(f"{folder / VOCAB_FILE} has no '</s>' entry.")
    # The language tokens follow the vocabulary as plain entries: like the reference, they are
    # not special tokens, and a `__fr__` typed in a text is spelled out, not matched.
    languages = {token: len(vocab) + index for index, token in enumerate(tokens)}
    tokenizer = tokenizer_with_vocab(
        read_model(folder / SPM_FILE), {**vocab, **languages}, "<unk>", tokenizer_config
    )
    first = tokens[codes.index("en")] if "en" in codes else tokens[0]  # the class sets src_lang's
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{first} $A </s>",
        pair=f"{first} $A $B </s>",
        special_tokens=[(t, tokenizer.token_to_id(t)) for t in (first, "</s>")],
    )
    return tokenizer


class M2M100Tokenizer(LanguageCodesTokenizer):
    """`__src__ X </s>` for inputs, `__tgt__ X </s>` for `text_target`; languages by code."""

    reference_class = "M2M100Tokenizer"
    kept_files = (SPM_FILE, VOCAB_FILE)
    default_src_lang: ClassVar[str] = "en"
    code_first: ClassVar[bool] = True

    @property
    def language_codes(self) -> tuple[str, ...]:  # type: ignore[override]
        return language_set(self._config)

    @classmethod
    def language_token(cls, code: str) -> str:
        return f"__{code}__"

    def get_lang_token(self, lang: str) -> str:
        return self.language_token(lang)

    def get_lang_id(self, lang: str) -> int:
        """The id of language `lang`'s token (`forced_bos_token_id` to translate into it)."""
        return self._language_id(lang)

    @property
    def lang_token_to_id(self) -> dict[str, int]:
        return {self.language_token(code): index for code, index in self.lang_code_to_id.items()}

    @property
    def id_to_lang_token(self) -> dict[int, str]:
        return {index: token for token, index in self.lang_token_to_id.items()}

    @property
    def vocab_size(self) -> int:
        """The size of `vocab.json` (the language tokens come after it, as in the reference)."""
        return self._tokenizer.get_vocab_size(with_added_tokens=False) - len(self.language_codes)

    def __len__(self) -> int:
        return self.vocab_size

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Ids back to text as the reference joins them: special tokens glued to the text before
        them; language tokens are text (not special)."""
        ids = to_python(token_ids)
        ids = [ids] if isinstance(ids, int) else list(ids)
        tokens = [self._tokenizer.id_to_token(int(i)) for i in ids]
        if any(token is None for token in tokens):
            raise TokenizerError(f"decode() got ids outside the vocabulary: {token_ids!r:.80}.")
        specials, text, run = set(self.all_special_tokens), "", []
        for token in tokens:
            if token not in specials:
                run.append(token)
            elif not skip_special_tokens:
                text += self._tokenizer.decoder.decode(run) + token
                run = []
        text = (text + self._tokenizer.decoder.decode(run)).replace(SPACE, " ").strip()
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(self, sequences: Any, *args: Any, **kwargs: Any) -> list[str]:
        return [self.decode(ids, *args, **kwargs) for ids in to_python(sequences)]
