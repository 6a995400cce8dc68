"""Decoding for `Tokenizer`: ids back to text, with the reference's optional space clean-up."""

from __future__ import annotations

from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.tensors import to_python


class DecodingMixin:
    """`decode` and `batch_decode`."""

    # ================================================================ decoding
    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Ids back to text (the tokenizer's decoder, then optional space clean-up)."""
        ids = to_python(token_ids)
        if isinstance(ids, int):
            ids = [ids]
        try:
            text = self._tokenizer.decode(ids, skip_special_tokens=skip_special_tokens)
        except (TypeError, OverflowError, ValueError) as exc:
            raise TokenizerError(
                f"decode() takes a sequence of non-negative token ids, got {token_ids!r:.80}."
            ) from exc
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(
        self,
        sequences: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Decode each sequence of ids (one `tokenizers` batch call)."""
        batch = to_python(sequences)
        batch = [[item] if isinstance(item, int) else item for item in batch]
        try:
            texts = self._tokenizer.decode_batch(batch, skip_special_tokens=skip_special_tokens)
        except (TypeError, OverflowError, ValueError) as exc:
            raise TokenizerError(
                "batch_decode() takes a list of sequences of non-negative token ids."
            ) from exc
        return [self._clean_up(text, clean_up_tokenization_spaces) for text in texts]

    def _clean_up(self, text: str, clean_up: bool | None) -> str:
        if clean_up is None:
            clean_up = self.clean_up_tokenization_spaces
        return clean_up_tokenization(text) if clean_up else text


def clean_up_tokenization(text: str) -> str:
    """The reference's clean-up of spaces before punctuation and English contractions."""
    return (
        text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
    )
