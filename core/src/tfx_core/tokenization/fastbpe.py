"""`FastBPETokenizer`: the core `Tokenizer` for fastBPE checkpoints (BERTweet, PhoBERT).

Its backend (built by `converters.fastbpe`) splits words with a Python pre-tokenizer, which
`tokenizer.json` cannot hold, so the tokenizer keeps the `vocab.txt` and `bpe.codes` it was
loaded from and saves those (with tokenizer_config.json), as the reference's classes do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.fastbpe import CODES_FILE, VOCAB_FILE
from tfx_core.tokenization.tokenizer import Tokenizer


class FastBPETokenizer(Tokenizer):
    """Encodes like the reference's BertweetTokenizer / PhobertTokenizer (ids and offsets)."""

    legacy_files_only = True

    def _read_folder(self, folder: Any) -> None:
        self._legacy_files = {
            name: (Path(folder) / name).read_text(encoding="utf-8")
            for name in (VOCAB_FILE, CODES_FILE)
        }

    def _source_files(self) -> dict[str, bytes | str]:
        files = getattr(self, "_legacy_files", None)
        if files is None:
            raise TokenizerError(
                f"{type(self).__name__} was not loaded from vocab.txt + bpe.codes, so it has no "
                "files to save; load it with from_pretrained(folder)."
            )
        return dict(files)
