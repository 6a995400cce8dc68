"""Speech2Text's tokenizer: SentencePiece pieces with `vocab.json` ids, `X </s>`.

The reference's tokenizer is slow-only: text is segmented by `sentencepiece.bpe.model`, each
piece looked up in `vocab.json`, and `</s>` appended. `do_lower_case` lowercases the text before
segmentation; `do_upper_case` upper-cases decoded text (LibriSpeech checkpoints are trained on
upper-case transcripts). Decoding glues each special token to the text before it and a space
after, as the reference does. `save_pretrained` writes `vocab.json` and the SentencePiece model
back next to `tokenizer.json`, so the reference loads the folder.

Multilingual checkpoints (`lang_codes="mustc"`, a `<lang:xx>` token before each target text)
are not served yet: loading one is a clear error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Tokenizer as RustTokenizer
from tokenizers import normalizers, processors

from tfx_core.errors import TokenizerError
from tfx_core.tokenization import Tokenizer
from tfx_core.tokenization.converters.sentencepiece import SPACE, read_model
from tfx_core.tokenization.converters.sentencepiece_families import special_token_entry
from tfx_core.tokenization.converters.sentencepiece_vocab import (
    read_vocab_json,
    tokenizer_with_vocab,
)
from tfx_core.tokenization.tensors import to_python

SPM_FILE, VOCAB_FILE = "sentencepiece.bpe.model", "vocab.json"


def convert_speech_to_text(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """`sentencepiece.bpe.model` + `vocab.json` -> a fast tokenizer writing `X </s>`."""
    folder = Path(folder)
    if tokenizer_config.get("lang_codes"):
        raise TokenizerError(
            "Speech2TextTokenizer with lang_codes (multilingual MuST-C checkpoints) is not "
            "supported by tfx yet; use a checkpoint without lang_codes or the reference library."
        )
    tokenizer_config.setdefault("tokenizer_class", "Speech2TextTokenizer")
    for role, token in (
        ("bos_token", "<s>"),
        ("eos_token", "</s>"),
        ("pad_token", "<pad>"),
        ("unk_token", "<unk>"),
    ):
        tokenizer_config.setdefault(role, special_token_entry(token))
    vocab = read_vocab_json(folder / VOCAB_FILE)
    if "</s>" not in vocab:
        raise TokenizerError(f"{folder / VOCAB_FILE} has no '</s>' entry.")
    tokenizer = tokenizer_with_vocab(
        read_model(folder / SPM_FILE), vocab, "<unk>", tokenizer_config
    )
    if tokenizer_config.get("do_lower_case"):
        steps = [tokenizer.normalizer] if tokenizer.normalizer is not None else []
        tokenizer.normalizer = normalizers.Sequence([normalizers.Lowercase(), *steps])
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A $B </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return tokenizer


class Speech2TextTokenizer(Tokenizer):
    """`X </s>` with the reference's ids; `decode` as the reference joins pieces."""

    reference_class = "Speech2TextTokenizer"
    kept_files = (SPM_FILE, VOCAB_FILE)

    def _setup(self, backend: Any, config: dict, name_or_path: str, model_type: Any) -> None:
        super()._setup(backend, config, name_or_path, model_type)
        if "model_input_names" not in config:  # the reference's: no token_type_ids
            self.model_input_names = ["input_ids", "attention_mask"]

    @property
    def vocab_size(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=False)

    def decode(
        self,
        token_ids: Any,
        skip_special_tokens: bool = False,
        clean_up_tokenization_spaces: bool | None = None,
        **kwargs: Any,
    ) -> str:
        """Ids back to text: pieces joined by the SentencePiece decoder (upper-cased with
        `do_upper_case`), each special token glued after them and followed by a space."""
        ids = to_python(token_ids)
        ids = [ids] if isinstance(ids, int) else list(ids)
        tokens = [self._tokenizer.id_to_token(int(i)) for i in ids]
        if any(token is None for token in tokens):
            raise TokenizerError(f"decode() got ids outside the vocabulary: {token_ids!r:.80}.")
        upper = bool(self._config.get("do_upper_case"))
        specials, text, run = set(self.all_special_tokens), "", []

        def pieces_text() -> str:
            decoded = self._tokenizer.decoder.decode(run).replace(SPACE, " ")
            return decoded.upper() if upper else decoded

        for token in tokens:
            if token not in specials:
                run.append(token)
            elif not skip_special_tokens:
                text += pieces_text() + token + " "
                run = []
        text = (text + pieces_text()).strip()
        return self._clean_up(text, clean_up_tokenization_spaces)

    def batch_decode(self, sequences: Any, *args: Any, **kwargs: Any) -> list[str]:
        return [self.decode(ids, *args, **kwargs) for ids in to_python(sequences)]
