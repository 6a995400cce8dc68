"""Speech2Text's tokenizer: SentencePiece pieces with `vocab.json` ids, `X </s>`.

The reference's tokenizer is slow-only: text is segmented by `sentencepiece.bpe.model`, each
piece looked up in `vocab.json`, and `</s>` appended. `do_lower_case` lowercases the text before
segmentation; `do_upper_case` upper-cases decoded text (LibriSpeech checkpoints are trained on
upper-case transcripts). Decoding glues each special token to the text before it and a space
after, as the reference does. `save_pretrained` writes `vocab.json` and the SentencePiece model
back next to `tokenizer.json`, so the reference loads the folder.

Multilingual checkpoints (`lang_codes="mustc"`: speech translation from English to eight
MuST-C languages) write `<lang:xx> X </s>`, `xx` being `tgt_lang` (the first language unless
set); setting `tgt_lang` rebuilds the template. As in the reference, the language token's id in
that prefix and in `lang_code_to_id` is the SentencePiece model's id of the piece (the one
to pass as `forced_bos_token_id` to `generate`), while the same token written in a text gets its
`vocab.json` id; the language tokens are special tokens (skipped by
`decode(skip_special_tokens=True)`).
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


#: The reference's language lists by `lang_codes`, in its order.
LANGUAGES = {"mustc": ("pt", "fr", "ru", "nl", "ro", "it", "es", "de")}


def language_token(code: str) -> str:
    return f"<lang:{code}>"


def convert_speech_to_text(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """`sentencepiece.bpe.model` + `vocab.json` -> a fast tokenizer writing `X </s>` (or
    `<lang:xx> X </s>` with `lang_codes`)."""
    folder = Path(folder)
    languages = _languages(tokenizer_config)
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
    spm = read_model(folder / SPM_FILE)
    if languages:
        missing = [language_token(c) for c in languages if language_token(c) not in vocab]
        if missing:
            raise TokenizerError(
                f"lang_codes={tokenizer_config['lang_codes']!r} needs the language tokens in "
                f"{folder / VOCAB_FILE}; it lacks {', '.join(missing)}."
            )
        extra = list(tokenizer_config.get("additional_special_tokens") or ())
        named = {t if isinstance(t, str) else t.get("content") for t in extra}
        tokens = [language_token(c) for c in languages if language_token(c) not in named]
        tokenizer_config["additional_special_tokens"] = tokens + extra
        tokenizer_config.setdefault("tgt_lang", languages[0])
    tokenizer = tokenizer_with_vocab(spm, vocab, "<unk>", tokenizer_config)
    if tokenizer_config.get("do_lower_case"):
        steps = [tokenizer.normalizer] if tokenizer.normalizer is not None else []
        tokenizer.normalizer = normalizers.Sequence([normalizers.Lowercase(), *steps])
    prefix = None
    if languages:
        code = tokenizer_config["tgt_lang"]
        ids = _piece_ids((folder / SPM_FILE).read_bytes(), languages)
        prefix = (language_token(code), ids[code])
    tokenizer.post_processor = _template(vocab["</s>"], prefix)
    return tokenizer


def _languages(tokenizer_config: dict) -> tuple[str, ...]:
    codes = tokenizer_config.get("lang_codes")
    if not codes:
        return ()
    if codes not in LANGUAGES:
        raise TokenizerError(
            f"Speech2TextTokenizer lang_codes={codes!r} is unknown; the reference knows "
            f"{', '.join(map(repr, LANGUAGES))}."
        )
    languages = LANGUAGES[codes]
    target = tokenizer_config.get("tgt_lang")
    if target is not None and target not in languages:
        raise TokenizerError(
            f"tgt_lang={target!r} is not one of the {codes} languages: {', '.join(languages)}."
        )
    return languages


def _piece_ids(model: bytes, languages: tuple[str, ...]) -> dict[str, int]:
    """Each language's token as the SentencePiece model numbers it (`PieceToId`, as the
    reference: the model's unknown-piece id where it lacks the piece)."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=model)
    return {code: processor.PieceToId(language_token(code)) for code in languages}


def _template(eos: int, prefix: tuple[str, int] | None) -> Any:
    """`X </s>` (pairs `A B </s>`), after the language token when `prefix` gives one."""
    if prefix is None:
        return processors.TemplateProcessing(
            single="$A </s>", pair="$A $B </s>", special_tokens=[("</s>", eos)]
        )
    token, index = prefix
    # (a template names a piece without ':', which marks a type id there: "LANG" stands in)
    language = {"id": "LANG", "ids": [index], "tokens": [token]}
    return processors.TemplateProcessing(
        single="LANG $A </s>",
        pair="LANG $A $B </s>",
        special_tokens=[language, ("</s>", eos)],
    )


class Speech2TextTokenizer(Tokenizer):
    """`X </s>` with the reference's ids; `decode` as the reference joins pieces."""

    reference_class = "Speech2TextTokenizer"
    kept_files = (SPM_FILE, VOCAB_FILE)

    def _setup(self, backend: Any, config: dict, name_or_path: str, model_type: Any) -> None:
        super()._setup(backend, config, name_or_path, model_type)
        if "model_input_names" not in config:  # the reference's: no token_type_ids
            self.model_input_names = ["input_ids", "attention_mask"]

    # ----------------------------------------------------------------- languages
    @property
    def tgt_lang(self) -> str | None:
        """The target language of a multilingual checkpoint (None without `lang_codes`)."""
        return self._config.get("tgt_lang") if self._config.get("lang_codes") else None

    @tgt_lang.setter
    def tgt_lang(self, code: str) -> None:
        self.set_tgt_lang_special_tokens(code)

    def set_tgt_lang_special_tokens(self, code: str) -> None:
        """Write `<lang:code>` before each text from now on (as the reference's setter)."""
        languages = _languages({**self._config, "tgt_lang": code})
        if not languages:
            raise TokenizerError(
                "tgt_lang applies to multilingual Speech2Text tokenizers (lang_codes); this "
                "one has none."
            )
        index = self.lang_code_to_id.get(code)
        if index is None:
            raise TokenizerError(
                f"Setting tgt_lang needs the checkpoint's {SPM_FILE} (the language tokens' "
                "ids come from it); load the tokenizer from a folder that has it."
            )
        self._config["tgt_lang"] = code
        eos = self._tokenizer.token_to_id("</s>")
        self._tokenizer.post_processor = _template(eos, (language_token(code), index))

    @property
    def lang_code_to_id(self) -> dict[str, int]:
        """Language code -> the SentencePiece id of its token (the reference's mapping)."""
        languages = _languages(self._config)
        model = getattr(self, "_files", {}).get(SPM_FILE)
        if not languages or model is None:
            return {}
        cached = self.__dict__.get("_language_ids")
        if cached is None or cached[0] is not model:  # parsed once per kept model
            cached = self.__dict__["_language_ids"] = (model, _piece_ids(model, languages))
        return dict(cached[1])

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
