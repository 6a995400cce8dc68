"""Translation tokenizers that mark each text with a language-code token (mBART, M2M100, ...).

The reference's multilingual seq2seq tokenizers put the source language's code around inputs and
the target language's code around labels (`text_target`): mBART after the text
(`X </s> en_XX`), mBART-50 and M2M100 before it (`en_XX X </s>`). `LanguageCodesTokenizer` holds
that behaviour once; a family subclass says which codes it knows, how a code is spelled as a
token and where it goes. Setting `src_lang` rebuilds the template, as in the reference.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tokenizers import processors

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.tokenizer import Tokenizer


class LanguageCodesTokenizer(Tokenizer):
    """A `Tokenizer` with `src_lang` / `tgt_lang` and the family's language-code template."""

    #: The language codes the family knows, in the reference's order.
    language_codes: ClassVar[tuple[str, ...]] = ()
    #: The code used when `src_lang` is not given.
    default_src_lang: ClassVar[str] = ""
    #: True: `code X </s>` (mBART-50, M2M100); False: `X </s> code` (mBART).
    code_first: ClassVar[bool] = True

    @classmethod
    def language_token(cls, code: str) -> str:
        """The token that stands for language `code` (`__en__` for M2M100's `en`)."""
        return code

    def _setup(self, backend: Any, config: dict, name_or_path: str, model_type: Any) -> None:
        super()._setup(backend, config, name_or_path, model_type)
        self.tgt_lang: str | None = self._config.get("tgt_lang")
        self.src_lang = self._config.get("src_lang") or self.default_src_lang

    # ----------------------------------------------------------------- languages
    @property
    def src_lang(self) -> str:
        return self._src_lang

    @src_lang.setter
    def src_lang(self, code: str) -> None:
        self._src_lang = code
        self.set_src_lang_special_tokens(code)

    @property
    def lang_code_to_id(self) -> dict[str, int]:
        """Language code -> the id of its token."""
        return {code: self._language_id(code) for code in self.language_codes}

    def _language_id(self, code: str | None) -> int:
        token = None if code is None else self.language_token(code)
        index = None if token is None else self._tokenizer.token_to_id(token)
        if index is None:
            known = ", ".join(self.language_codes[:8])
            raise TokenizerError(
                f"Unknown language code {code!r} for {type(self).__name__}: use one of its codes "
                f"({known}, ...; see `lang_code_to_id`), e.g. tokenizer.src_lang = "
                f"{self.language_codes[0] if self.language_codes else 'code'!r}."
            )
        return index

    def set_src_lang_special_tokens(self, code: str) -> None:
        """Inputs are encoded with language `code`'s token from now on."""
        self._set_language_template(code)

    def set_tgt_lang_special_tokens(self, code: str | None) -> None:
        """Targets (`text_target`) are encoded with language `code`'s token."""
        if code is None:
            raise TokenizerError(
                f"{type(self).__name__} encodes `text_target` with the target language's code: "
                "set it first (from_pretrained(..., tgt_lang=...) or tokenizer.tgt_lang = ...)."
            )
        self._set_language_template(code)

    def _set_language_template(self, code: str) -> None:
        language = (self.language_token(code), self._language_id(code))
        eos_token = str(self._special["eos_token"])
        eos = (eos_token, self._tokenizer.token_to_id(eos_token))
        if eos[1] is None:
            raise TokenizerError(f"The eos token {eos_token!r} is not in the vocabulary.")
        around = [language, eos] if self.code_first else [eos, language]
        before = [around[0][0]] if self.code_first else []
        after = [token for token, _ in around[len(before) :]]
        self._tokenizer.post_processor = processors.TemplateProcessing(
            single=[*before, "$A", *after],
            pair=[*before, "$A", "$B", *after],
            special_tokens=around,
        )
        self.cur_lang_code = language[1]

    def _switch_to_input_mode(self) -> None:
        self.set_src_lang_special_tokens(self.src_lang)

    def _switch_to_target_mode(self) -> None:
        self.set_tgt_lang_special_tokens(self.tgt_lang)

    def _build_translation_inputs(
        self,
        raw_inputs: Any,
        return_tensors: str | None = None,
        src_lang: str | None = None,
        tgt_lang: str | None = None,
        **encode_kwargs: Any,
    ) -> Any:
        """Inputs for the translation pipeline: encoded in `src_lang`, with the target code's id
        as `forced_bos_token_id` for `generate`."""
        if src_lang is None or tgt_lang is None:
            raise TokenizerError(
                f"Translation with {type(self).__name__} needs both src_lang and tgt_lang "
                f"(language codes such as {', '.join(self.language_codes[:3])})."
            )
        self.src_lang = src_lang
        inputs = self(
            raw_inputs, add_special_tokens=True, return_tensors=return_tensors, **encode_kwargs
        )
        inputs["forced_bos_token_id"] = self._language_id(tgt_lang)
        return inputs
