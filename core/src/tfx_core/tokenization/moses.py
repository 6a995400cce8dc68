"""`MosesBPETokenizer`: the core `Tokenizer` for Moses + BPE checkpoints (XLM, FlauBERT).

Its backend (built by `converters.moses_bpe`) runs Moses in a Python pre-tokenizer, which
`tokenizer.json` cannot hold, so the tokenizer keeps the `vocab.json` and `merges.txt` it was
loaded from and saves those (with tokenizer_config.json), as the reference's classes do. As in
the reference, a call may name the language (`tokenizer(text, lang="de")`, XLM only) or skip
Moses for pre-tokenized text (`bypass_tokenizer=True`: split on whitespace, BPE only).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tfx_core.errors import TokenizerError
from tfx_core.tokenization.converters.moses_bpe import (
    MERGES_FILE,
    SPLITTERS,
    VOCAB_FILE,
    MosesBPESplitter,
    attach_python_parts,
)
from tfx_core.tokenization.tokenizer import Tokenizer

_CALL = threading.Lock()  # per-call options live on the shared splitter while a call runs


class MosesBPETokenizer(Tokenizer):
    """Encodes like the reference's XLMTokenizer / FlaubertTokenizer (ids), with offsets."""

    legacy_files_only = True
    #: whether a call may choose its language (`lang=`): XLM yes, FlauBERT (French only) no
    per_call_language = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As the reference: `XLMTokenizer("vocab.json", "merges.txt")` (or `vocab_file=`,
        `merges_file=`); the files are kept, so `save_pretrained` writes them back."""
        paths = [a for a in args if isinstance(a, (str, Path))] or [
            kwargs.get("vocab_file"),
            kwargs.get("merges_file"),
        ]
        super().__init__(*args, **kwargs)
        if len(paths) == 2 and all(paths):
            self._legacy_files = {
                name: Path(path).read_bytes()
                for name, path in zip((VOCAB_FILE, MERGES_FILE), paths)
            }

    def _setup(self, backend: Any, config: dict, name_or_path: str, model_type: str | None) -> None:
        self._splitter = SPLITTERS.pop(id(backend), None)
        for key in ("lang2id", "id2lang"):
            table = config.get(key)
            if table is not None and not isinstance(table, dict):
                raise TokenizerError(f"tokenizer_config.json field {key!r} must be a mapping.")
        self.lang2id = config.get("lang2id")
        self.id2lang = config.get("id2lang")
        super()._setup(backend, config, name_or_path, model_type)

    def _read_folder(self, folder: Any) -> None:
        self._legacy_files = {
            name: (Path(folder) / name).read_bytes() for name in (VOCAB_FILE, MERGES_FILE)
        }

    def _source_files(self) -> dict[str, bytes | str]:
        files = getattr(self, "_legacy_files", None)
        if files is None:
            raise TokenizerError(
                f"{type(self).__name__} was not loaded from vocab.json + merges.txt, so it has "
                "no files to save; load it with from_pretrained(folder)."
            )
        return dict(files)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        lang = kwargs.pop("lang", None)
        bypass = kwargs.pop("bypass_tokenizer", False)
        if lang is None and not bypass:
            return super().__call__(*args, **kwargs)
        splitter = self._splitter
        if splitter is None:
            raise TokenizerError(
                f"{type(self).__name__} was not built by the Moses + BPE converter, so `lang` and "
                "`bypass_tokenizer` cannot apply; load it with from_pretrained(folder)."
            )
        if lang is not None and not self.per_call_language:
            raise TokenizerError(f"{type(self).__name__} tokenizes French only: drop `lang`.")
        if lang is not None and not isinstance(lang, str):
            raise TokenizerError(f"lang must be a language code such as 'en', got {lang!r}.")
        with _CALL:
            saved = splitter.lang, splitter.bypass
            splitter.lang = lang or splitter.lang
            splitter.bypass = bool(bypass)
            try:
                return super().__call__(*args, **kwargs)
            finally:
                splitter.lang, splitter.bypass = saved

    # Pickling and deep copies (DataLoader workers, `datasets.map`): the backend's Python parts
    # cannot be serialised, so the state holds the rest and the splitter's settings.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        backend, splitter = state.pop("_tokenizer"), state.pop("_splitter", None)
        if splitter is None:
            raise TokenizerError(
                f"{type(self).__name__} without its Moses splitter cannot be copied."
            )
        pre_tokenizer, decoder = backend.pre_tokenizer, backend.decoder
        backend.pre_tokenizer = backend.decoder = None
        try:
            state["_backend_json"] = backend.to_str()
        finally:
            backend.pre_tokenizer, backend.decoder = pre_tokenizer, decoder
        state["_splitter_state"] = {
            "ranks": splitter.ranks,
            "style": splitter.style,
            "lowercase": splitter.lowercase,
            "lang": splitter.lang,
            "added": splitter.decoder.added,
        }
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        from tokenizers import Tokenizer as RustTokenizer

        from tfx_core.tokenization.converters.moses_bpe import MosesBPEDecoder

        state = dict(state)
        backend = RustTokenizer.from_str(state.pop("_backend_json"))
        options = state.pop("_splitter_state")
        added = options.pop("added")
        splitter = MosesBPESplitter(options.pop("ranks"), **options)
        splitter.decoder = MosesBPEDecoder(added)
        attach_python_parts(backend, splitter)
        self.__dict__.update(state)
        self._tokenizer, self._splitter = backend, splitter
