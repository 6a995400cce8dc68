"""Blenderbot-Small's tokenizer: lower-cased words, split before punctuation, and a BPE whose
vocabulary marks pieces that continue a word with `@@` (`hel@@ lo`).

The reference's tokenizer is slow-only; this is the same segmentation as a `tokenizers`
pipeline: the `tokenizers` BPE marks word ends instead (`</w>`, as `merges.txt` does), so the
vocabulary is read with `hel@@` as `hel` and `lo` as `lo</w>`, and token strings are written back
in the reference's spelling (`convert_ids_to_tokens`, `decode`). A newline after a word becomes
the `__newln__` word. `save_pretrained` writes `vocab.json` + `merges.txt` back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Regex, decoders, normalizers, pre_tokenizers
from tokenizers import Tokenizer as RustTokenizer
from tokenizers.models import BPE

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import Tokenizer
from tfx_core.tokenization.converters.byte_level import read_merges, read_vocab
from tfx_core.tokenization.tensors import to_python

END, CONTINUES = "</w>", "@@"
SPECIALS = {
    "bos_token": "__start__",
    "eos_token": "__end__",
    "unk_token": "__unk__",
    "pad_token": "__null__",
}
_FILES = ("vocab.json", "merges.txt")


def _special(content: str) -> dict[str, Any]:
    return {
        "content": content,
        "single_word": False,
        "lstrip": False,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def _bpe_spelling(token: str, specials: set[str]) -> str:
    """`hel@@` -> `hel` (continues), `lo` -> `lo</w>` (ends a word); special tokens as they are."""
    if token in specials:
        return token
    return token[: -len(CONTINUES)] if token.endswith(CONTINUES) else token + END


def convert_blenderbot_small(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """`vocab.json` + `merges.txt` as a `tokenizers` BPE with the reference's word splitting."""
    tokenizer_config.setdefault("tokenizer_class", "BlenderbotSmallTokenizer")
    for role, token in SPECIALS.items():
        tokenizer_config.setdefault(role, _special(token))
    specials = {
        value["content"] if isinstance(value, dict) else str(value)
        for role, value in tokenizer_config.items()
        if role in SPECIALS
    }
    folder = Path(folder)
    vocab: dict[str, int] = {}
    for token, index in read_vocab(folder / "vocab.json").items():
        vocab.setdefault(_bpe_spelling(token, specials), index)
    unk = tokenizer_config["unk_token"]
    unk = unk["content"] if isinstance(unk, dict) else str(unk)
    try:
        model = BPE(
            vocab=vocab,
            merges=read_merges(folder / "merges.txt"),
            unk_token=unk if unk in vocab else None,
            end_of_word_suffix=END,
            fuse_unk=False,
        )
    except Exception as exc:  # a merge whose parts or result are not in the vocabulary
        raise TokenizerError(f"{folder}: vocab.json and merges.txt do not agree: {exc}") from exc
    tokenizer = RustTokenizer(model)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex(r"(?<=\S)\n"), " __newln__ "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(Regex(r"[.,!?()]"), behavior="merged_with_next"),
            pre_tokenizers.Split("'", behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.BPEDecoder(suffix=END)
    return tokenizer


class BlenderbotSmallTokenizer(Tokenizer):
    """Token strings and decoded text in the reference's `@@` spelling."""

    reference_class = "BlenderbotSmallTokenizer"
    kept_files = _FILES

    def _reference_spelling(self, token: str | None) -> str | None:
        if token is None or token in self.all_special_tokens:
            return token
        return token[: -len(END)] if token.endswith(END) else token + CONTINUES

    def convert_ids_to_tokens(self, ids: Any, skip_special_tokens: bool = False) -> Any:
        tokens = super().convert_ids_to_tokens(ids, skip_special_tokens)
        if isinstance(tokens, list):
            return [self._reference_spelling(token) for token in tokens]
        return self._reference_spelling(tokens)

    def convert_tokens_to_ids(self, tokens: Any) -> Any:
        if isinstance(tokens, str):
            lowered = tokens.lower()
            if lowered in self.all_special_tokens:
                return super().convert_tokens_to_ids(lowered)
            spelled = _bpe_spelling(lowered, set(self.all_special_tokens))
            return super().convert_tokens_to_ids(spelled)
        return [self.convert_tokens_to_ids(token) for token in tokens]

    def convert_tokens_to_string(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(CONTINUES + " ", "").strip()

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Ids back to text as the reference joins them (`hel@@ lo` -> `hello`)."""
        ids = to_python(token_ids)
        tokens = self.convert_ids_to_tokens([ids] if isinstance(ids, int) else ids)
        if any(token is None for token in tokens):
            raise TokenizerError(f"decode() got ids outside the vocabulary: {token_ids!r:.80}.")
        if skip_special_tokens:
            specials = set(self.all_special_tokens)
            tokens = [token for token in tokens if token not in specials]
        text = self.convert_tokens_to_string(tokens)
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(self, sequences: Any, *args: Any, **kwargs: Any) -> list[str]:
        return [self.decode(ids, *args, **kwargs) for ids in to_python(sequences)]
