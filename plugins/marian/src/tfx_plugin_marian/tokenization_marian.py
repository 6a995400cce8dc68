"""MarianMT's tokenizer: a source and a target SentencePiece model over one (or two) vocabularies.

A Marian checkpoint ships `source.spm` and `target.spm` (the segmentation of each language) and
`vocab.json` (the ids; `target_vocab.json` too when `separate_vocabs`). Inputs are segmented with
the source model, `text_target` with the target model, and decoding reads target ids; every text
ends with `</s>`. A leading `>>fr<<` language code stays one token. The reference's tokenizer is
slow-only, so `save_pretrained` writes these files back next to `tokenizer.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, processors
from tokenizers import Tokenizer as RustTokenizer

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import Tokenizer
from tfx_core.tokenization.converters.sentencepiece import SPACE, read_model
from tfx_core.tokenization.converters.sentencepiece_families import special_token_entry
from tfx_core.tokenization.converters.sentencepiece_vocab import (
    read_vocab_json,
    tokenizer_with_vocab,
)
from tfx_core.tokenization.tensors import to_python

SOURCE_SPM, TARGET_SPM = "source.spm", "target.spm"
VOCAB, TARGET_VOCAB = "vocab.json", "target_vocab.json"


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def _side(folder: Path, spm_name: str, vocab_name: str, config: dict) -> RustTokenizer:
    """One side's backend: the SentencePiece model, the vocabulary's ids, `X </s>`."""
    vocab = read_vocab_json(folder / vocab_name)
    eos = _content(config["eos_token"])
    if eos not in vocab:
        raise TokenizerError(f"{folder / vocab_name} has no {eos!r} (eos_token).")
    tokenizer = tokenizer_with_vocab(
        read_model(folder / spm_name), vocab, _content(config["unk_token"]), config
    )
    codes = [t for t in vocab if t.startswith(">>") and t.endswith("<<")]
    tokenizer.add_tokens([AddedToken(code, normalized=False) for code in codes])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"$A {eos}", pair=f"$A $B {eos}", special_tokens=[(eos, vocab[eos])]
    )
    return tokenizer


def convert_marian(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """The source side of a Marian folder (`source.spm` + `vocab.json`)."""
    tokenizer_config.setdefault("tokenizer_class", "MarianTokenizer")
    tokenizer_config.setdefault("unk_token", special_token_entry("<unk>"))
    tokenizer_config.setdefault("eos_token", special_token_entry("</s>"))
    tokenizer_config.setdefault("pad_token", special_token_entry("<pad>"))
    tokenizer_config.setdefault("model_max_length", 512)
    tokenizer_config.setdefault("separate_vocabs", False)
    return _side(Path(folder), SOURCE_SPM, VOCAB, tokenizer_config)


class MarianTokenizer(Tokenizer):
    """Source-side encoding by default; `text_target` (and `decode`) use the target side."""

    reference_class = "MarianTokenizer"

    def _read_folder(self, folder: Any) -> None:
        folder = Path(folder)
        self.separate_vocabs = bool(self._config.get("separate_vocabs", False))
        names = [SOURCE_SPM, TARGET_SPM, VOCAB] + ([TARGET_VOCAB] if self.separate_vocabs else [])
        missing = [name for name in names if not (folder / name).is_file()]
        if missing:
            raise TokenizerError(
                f"A Marian tokenizer needs {', '.join(names)} in {folder}; missing: "
                f"{', '.join(missing)}."
            )
        self._files = {name: (folder / name).read_bytes() for name in names}
        config = {
            **self._config,
            "unk_token": self.unk_token,
            "eos_token": self.eos_token,
        }
        target_vocab = TARGET_VOCAB if self.separate_vocabs else VOCAB
        self._source = self._tokenizer
        self._target = _side(folder, TARGET_SPM, target_vocab, config)
        specials = [
            token for token in self._source.get_added_tokens_decoder().values() if token.special
        ]
        self._target.add_special_tokens(specials)
        self._target.encode_special_tokens = self._source.encode_special_tokens

    @property
    def supported_language_codes(self) -> list[str]:
        """The `>>xx<<` codes of the vocabulary (a multilingual target side)."""
        if self.separate_vocabs:
            return []
        vocab = json.loads(self._files[VOCAB])  # in the file's order, as the reference lists
        return [t for t in vocab if t.startswith(">>") and t.endswith("<<")]

    def _use(self, backend: RustTokenizer) -> None:
        if self._tokenizer is not backend:
            self._set_truncation(None)  # the cached truncation state is the old backend's
            self._tokenizer = backend

    def _switch_to_input_mode(self) -> None:
        self._use(self._source)

    def _switch_to_target_mode(self) -> None:
        self._use(self._target)

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Target ids back to text as the reference joins them: the SentencePiece text between
        special tokens, each special token followed by a space."""
        ids = to_python(token_ids)
        ids = [ids] if isinstance(ids, int) else list(ids)
        specials = set(self.all_special_tokens)
        tokens = [self._target.id_to_token(int(i)) for i in ids]
        if any(token is None for token in tokens):
            raise TokenizerError(f"decode() got ids outside the vocabulary: {token_ids!r:.80}.")
        text, run = "", []
        for token in tokens:
            if token in specials:
                if not skip_special_tokens:
                    text += self._target.decoder.decode(run) + token + " "
                    run = []
                continue
            run.append(token)
        text = (text + self._target.decoder.decode(run)).replace(SPACE, " ").strip()
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(self, sequences: Any, *args: Any, **kwargs: Any) -> list[str]:
        return [self.decode(ids, *args, **kwargs) for ids in to_python(sequences)]
