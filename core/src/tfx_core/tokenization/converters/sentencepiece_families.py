"""The SentencePiece families: how each lays out its ids and what it adds around the text.

Every converter here is `convert(folder, tokenizer_config) -> tokenizers.Tokenizer`. It reads the
family's `.model` file, builds the vocabulary in the family's id order (fairseq's
`<s> <pad> </s> <unk>` first for XLM-R / CamemBERT / mBART, T5's `<extra_id_N>` sentinels last,
Pegasus's reserved ids first, ...), adds the family's normalization and template, and fills in the
`tokenizer_config` defaults the reference's tokenizer class implies (special tokens, options),
so the core knows every role. Values already in `tokenizer_config.json` win.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors

from tfx_core.tokenization.converters.sentencepiece import (
    SPACE,
    SentencePieceModel,
    build_model,
    default_normalizer,
    find_model_file,
    metaspace,
    prepend_scheme,
    read_model,
    token_id,
)

GENERIC_FILES = (
    "spiece.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "sentencepiece.model",
)
FAIRSEQ_FILES = ("sentencepiece.bpe.model",)
SPIECE_FILES = ("spiece.model",)
LLAMA_FILES = ("tokenizer.model",)

#: mBART-cc25's language codes, appended after the pieces (the reference's order).
MBART_LANGUAGE_CODES = [
    "ar_AR",
    "cs_CZ",
    "de_DE",
    "en_XX",
    "es_XX",
    "et_EE",
    "fi_FI",
    "fr_XX",
    "gu_IN",
    "hi_IN",
    "it_IT",
    "ja_XX",
    "kk_KZ",
    "ko_KR",
    "lt_LT",
    "lv_LV",
    "my_MM",
    "ne_NP",
    "nl_XX",
    "ro_RO",
    "ru_RU",
    "si_LK",
    "tr_TR",
    "vi_VN",
    "zh_CN",
]


def special_token_entry(
    content: str, *, lstrip: bool = False, normalized: bool = False
) -> dict[str, Any]:
    """A special token as the reference's SentencePiece classes declare theirs."""
    return {
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": normalized,
        "special": True,
    }


def _content(value: Any) -> str:
    return value["content"] if isinstance(value, dict) else str(value)


def _bert_style_template(config: dict) -> tuple[str, str, tuple[str, str]]:
    """`CLS A SEP` and `CLS A SEP B SEP` (B in segment 1), from the config's tokens."""
    cls, sep = _content(config["cls_token"]), _content(config["sep_token"])
    return (f"{cls}:0 $A:0 {sep}:0", f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1", (cls, sep))


def _defaults(config: dict, **values: Any) -> None:
    for key, value in values.items():
        config.setdefault(key, value)


def _load(folder: Path, names: tuple[str, ...]) -> SentencePieceModel:
    return read_model(find_model_file(folder, names))


def _scored(spm: SentencePieceModel, start: int = 0) -> list[tuple[str, float]]:
    return [(piece, score) for piece, score, _ in spm.pieces[start:]]


def _assemble(
    spm: SentencePieceModel,
    vocab: list[tuple[str, float]],
    unk_id: int,
    config: dict,
    *,
    normalizer: Any = None,
    pre_tokenizer: Any = None,
    template: tuple[str, str, tuple[str, ...]] | None = None,
) -> Tokenizer:
    """The model, the default or given normalizer, Metaspace, and the `(single, pair, specials)`
    template, whose special tokens are looked up in `vocab`."""
    tokenizer = build_model(spm, vocab, unk_id)
    tokenizer.normalizer = normalizer if normalizer is not None else default_normalizer(spm)
    pre, decoder = metaspace(config)
    tokenizer.pre_tokenizer = pre_tokenizer if pre_tokenizer is not None else pre
    tokenizer.decoder = decoder
    if template is not None:
        single, pair, names = template
        ids = {piece: index for index, (piece, _) in enumerate(vocab)}
        tokenizer.post_processor = processors.TemplateProcessing(
            single=single,
            pair=pair,
            special_tokens=[
                (name, token_id(ids, name, "special token", spm.path)) for name in names
            ],
        )
    return tokenizer


# ------------------------------------------------------------------ plain SentencePiece
def convert_sentencepiece(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """A plain SentencePiece model (unigram or BPE) with its own ids and nothing added."""
    spm = _load(folder, GENERIC_FILES)
    _defaults(tokenizer_config, unk_token=special_token_entry(spm.unk_piece))
    if spm.piece(spm.eos_id) is not None:
        _defaults(tokenizer_config, eos_token=special_token_entry(spm.piece(spm.eos_id)))
    return _assemble(spm, _scored(spm), spm.unk_id, tokenizer_config)


# ------------------------------------------------------------------- fairseq offset
def _fairseq_defaults(config: dict) -> None:
    _defaults(
        config,
        bos_token=special_token_entry("<s>"),
        eos_token=special_token_entry("</s>"),
        sep_token=special_token_entry("</s>"),
        cls_token=special_token_entry("<s>"),
        unk_token=special_token_entry("<unk>"),
        pad_token=special_token_entry("<pad>"),
        mask_token=special_token_entry("<mask>", lstrip=True),
    )


_FAIRSEQ_HEAD = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
_ROBERTA_TEMPLATE = ("<s> $A </s>", "<s> $A </s> </s> $B </s>", ("<s>", "</s>"))


def convert_xlm_roberta(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """XLM-RoBERTa: fairseq ids (`<s> <pad> </s> <unk>`, pieces shifted by one, `<mask>` last)
    and `<s> A </s></s> B </s>`."""
    spm = _load(folder, FAIRSEQ_FILES)
    tokenizer_config.setdefault("tokenizer_class", "XLMRobertaTokenizer")
    _fairseq_defaults(tokenizer_config)
    vocab = _FAIRSEQ_HEAD + _scored(spm, 3) + [("<mask>", 0.0)]
    return _assemble(spm, vocab, 3, tokenizer_config, template=_ROBERTA_TEMPLATE)


def convert_camembert(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """CamemBERT: like XLM-R, with its `<s>NOTUSED`-style reserved ids first."""
    spm = _load(folder, FAIRSEQ_FILES)
    tokenizer_config.setdefault("tokenizer_class", "CamembertTokenizer")
    _fairseq_defaults(tokenizer_config)
    _defaults(
        tokenizer_config,
        additional_special_tokens=[
            special_token_entry(t) for t in ("<s>NOTUSED", "</s>NOTUSED", "<unk>NOTUSED")
        ],
    )
    vocab = [
        ("<s>NOTUSED", 0.0),
        ("<pad>", 0.0),
        ("</s>NOTUSED", 0.0),
        ("<unk>", 0.0),
        ("<unk>NOTUSED", -100.0),
        *_scored(spm, 1),
        ("<mask>", 0.0),
    ]
    return _assemble(spm, vocab, 3, tokenizer_config, template=_ROBERTA_TEMPLATE)


def convert_mbart(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """mBART (cc25): fairseq ids, the language codes and `<mask>` last, `A </s> src_lang`."""
    spm = _load(folder, FAIRSEQ_FILES)
    tokenizer_config.setdefault("tokenizer_class", "MBartTokenizer")
    _fairseq_defaults(tokenizer_config)
    _defaults(
        tokenizer_config,
        src_lang="en_XX",
        additional_special_tokens=[special_token_entry(code) for code in MBART_LANGUAGE_CODES],
    )
    language = tokenizer_config["src_lang"] or "en_XX"
    vocab = (
        _FAIRSEQ_HEAD
        + _scored(spm, 3)
        + [(code, 0.0) for code in MBART_LANGUAGE_CODES]
        + [("<mask>", 0.0)]
    )
    template = (f"$A </s> {language}", f"$A $B </s> {language}", ("</s>", language))
    return _assemble(spm, vocab, 3, tokenizer_config, template=template)


# ------------------------------------------------------------------------------ T5
def convert_t5(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """T5 / mT5: the pieces with their ids, `<extra_id_N>` sentinels appended (N descending),
    `</s>` after each text."""
    spm = _load(folder, SPIECE_FILES)
    tokenizer_config.setdefault("tokenizer_class", "T5Tokenizer")
    extra_ids = int(tokenizer_config.get("extra_ids", 100))
    _defaults(
        tokenizer_config,
        eos_token=special_token_entry("</s>"),
        unk_token=special_token_entry("<unk>"),
        pad_token=special_token_entry("<pad>"),
        extra_ids=extra_ids,
        additional_special_tokens=[
            special_token_entry(f"<extra_id_{i}>") for i in range(extra_ids)
        ],
    )
    vocab = _scored(spm) + [(f"<extra_id_{i}>", 0.0) for i in reversed(range(extra_ids))]
    template = ("$A </s>", "$A </s> $B </s>", ("</s>",))
    return _assemble(spm, vocab, spm.unk_id, tokenizer_config, template=template)


# --------------------------------------------------------------------- ALBERT, XLNet
def _penalize_number_commas(spm: SentencePieceModel) -> list[tuple[str, float]]:
    """Pieces like `1,` lose 100 from their score (so numbers split before the comma)."""
    return [
        (
            piece,
            score - 100 if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit() else score,
        )
        for piece, score, _ in spm.pieces
    ]


def _albert_specials(**overrides: Any) -> dict[str, Any]:
    """ALBERT's special tokens (`[CLS]`, `[SEP]`, `<unk>`, `<pad>`, `[MASK]`), as defaults."""
    return {
        "bos_token": special_token_entry("[CLS]"),
        "eos_token": special_token_entry("[SEP]"),
        "unk_token": special_token_entry("<unk>"),
        "sep_token": special_token_entry("[SEP]"),
        "pad_token": special_token_entry("<pad>"),
        "cls_token": special_token_entry("[CLS]"),
        "mask_token": special_token_entry("[MASK]", lstrip=True),
        **overrides,
    }


def _albert_normalizer(
    spm: SentencePieceModel, config: dict, *, squeeze_first: bool = False
) -> normalizers.Normalizer:
    """Quotes, accents (unless `keep_accents`), case (with `do_lower_case`), the model's
    table, and runs of spaces as one (last, or first with `squeeze_first`)."""
    squeeze = normalizers.Replace(Regex(" {2,}"), " ")
    steps: list[Any] = [normalizers.Replace("``", '"'), normalizers.Replace("''", '"')]
    if squeeze_first:
        steps.append(squeeze)
    if not config.get("keep_accents", False):
        steps += [normalizers.NFKD(), normalizers.StripAccents()]
    if config.get("do_lower_case"):
        steps.append(normalizers.Lowercase())
    if spm.precompiled_charsmap:
        steps.append(normalizers.Precompiled(spm.precompiled_charsmap))
    if not squeeze_first:
        steps.append(squeeze)
    return normalizers.Sequence(steps)


def convert_albert(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """ALBERT: lower-cased, accents stripped, `[CLS] A [SEP] B [SEP]` with segment ids."""
    spm = _load(folder, SPIECE_FILES)
    tokenizer_config.setdefault("tokenizer_class", "AlbertTokenizer")
    _defaults(
        tokenizer_config,
        do_lower_case=True,
        remove_space=True,
        keep_accents=False,
        **_albert_specials(),
    )
    return _assemble(
        spm,
        _penalize_number_commas(spm),
        spm.unk_id,
        tokenizer_config,
        normalizer=_albert_normalizer(spm, tokenizer_config),
        template=_bert_style_template(tokenizer_config),
    )


def convert_rembert(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """RemBERT: ALBERT's tokenizer without its number-comma scores, spaces squeezed first."""
    spm = _load(folder, ("sentencepiece.model",))
    tokenizer_config.setdefault("tokenizer_class", "RemBertTokenizer")
    _defaults(  # the reference converts with its Python class's defaults: cased, accents kept
        tokenizer_config,
        do_lower_case=False,
        remove_space=True,
        keep_accents=True,
        **_albert_specials(),
    )
    return _assemble(
        spm,
        _scored(spm),
        spm.unk_id,
        tokenizer_config,
        normalizer=_albert_normalizer(spm, tokenizer_config, squeeze_first=True),
        template=_bert_style_template(tokenizer_config),
    )


def convert_xlnet(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """XLNet: ALBERT's normalization (cased), `A <sep> B <sep> <cls>` with `<cls>` in segment 2."""
    spm = _load(folder, SPIECE_FILES)
    tokenizer_config.setdefault("tokenizer_class", "XLNetTokenizer")
    _defaults(
        tokenizer_config,
        do_lower_case=False,
        remove_space=True,
        keep_accents=False,
        bos_token=special_token_entry("<s>"),
        eos_token=special_token_entry("</s>"),
        unk_token=special_token_entry("<unk>"),
        sep_token=special_token_entry("<sep>"),
        pad_token=special_token_entry("<pad>"),
        cls_token=special_token_entry("<cls>"),
        mask_token=special_token_entry("<mask>", lstrip=True),
        additional_special_tokens=[special_token_entry("<eop>"), special_token_entry("<eod>")],
    )
    cls, sep = _content(tokenizer_config["cls_token"]), _content(tokenizer_config["sep_token"])
    template = (f"$A:0 {sep}:0 {cls}:2", f"$A:0 {sep}:0 $B:1 {sep}:1 {cls}:2", (sep, cls))
    return _assemble(
        spm,
        _penalize_number_commas(spm),
        spm.unk_id,
        tokenizer_config,
        normalizer=_albert_normalizer(spm, tokenizer_config),
        template=template,
    )


# ------------------------------------------------------------------------ Pegasus
def convert_pegasus(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """Pegasus: pad, eos, the two mask tokens and `<unk_2>`.. reserved first (`offset` ids),
    then the pieces; words split on whitespace first; `</s>` after the text."""
    spm = _load(folder, SPIECE_FILES)
    tokenizer_config.setdefault("tokenizer_class", "PegasusTokenizer")
    offset = int(tokenizer_config.get("offset", 103))
    _defaults(
        tokenizer_config,
        pad_token=special_token_entry("<pad>"),
        eos_token=special_token_entry("</s>"),
        unk_token=special_token_entry("<unk>"),
        mask_token=special_token_entry("<mask_2>"),
        mask_token_sent="<mask_1>",
        offset=offset,
    )
    mask_sent = tokenizer_config["mask_token_sent"]
    reserved = [f"<unk_{i}>" for i in range(2, offset)]
    _defaults(
        tokenizer_config,
        additional_special_tokens=[
            special_token_entry(t) for t in ([mask_sent] if mask_sent else []) + reserved
        ],
    )
    eos = _content(tokenizer_config["eos_token"])
    head = [_content(tokenizer_config["pad_token"]), eos]
    head += [mask_sent] if mask_sent else []
    if tokenizer_config.get("mask_token") is not None:
        head.append(_content(tokenizer_config["mask_token"]))
    vocab = [(token, 0.0) for token in head] + [(token, -100.0) for token in reserved]
    vocab += _scored(spm, 2)
    pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Metaspace(
                replacement=SPACE, prepend_scheme=prepend_scheme(tokenizer_config)
            ),
        ]
    )
    return _assemble(
        spm,
        vocab,
        spm.unk_id + offset,
        tokenizer_config,
        pre_tokenizer=pre_tokenizer,
        template=("$A </s>", "$A $B </s>", (eos,)),
    )


# -------------------------------------------------------------- Llama-style (byte fallback)
def convert_llama(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """Llama-style SentencePiece (usually BPE) with byte fallback: unknown characters become
    `<0xNN>` byte pieces. `legacy` and `add_prefix_space` choose how the leading `▁` is added;
    the `<s>` template comes from add_bos_token / add_eos_token (the core's Llama profile)."""
    spm = _load(folder, LLAMA_FILES)
    tokenizer_config.setdefault("tokenizer_class", "LlamaTokenizer")
    _defaults(
        tokenizer_config,
        unk_token=special_token_entry(spm.piece(0) or "<unk>"),
        bos_token=special_token_entry(spm.piece(1) or "<s>"),
        eos_token=special_token_entry(spm.piece(2) or "</s>"),
        add_bos_token=True,
        add_eos_token=False,
    )
    vocab = [(piece, 0.0) for piece, _, _ in spm.pieces[:3]] + _scored(spm, 3)
    tokenizer = build_model(spm, vocab, 0, byte_fallback=True)
    add_prefix_space = tokenizer_config.get("add_prefix_space", True) is not False
    if tokenizer_config.get("legacy", True) is False:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement=SPACE, prepend_scheme=prepend_scheme(tokenizer_config), split=False
        )
    else:
        steps = [normalizers.Prepend(prepend=SPACE)] if add_prefix_space else []
        tokenizer.normalizer = normalizers.Sequence([*steps, normalizers.Replace(" ", SPACE)])
    steps = [decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse()]
    if add_prefix_space:
        steps.append(decoders.Strip(content=" ", left=1))
    tokenizer.decoder = decoders.Sequence(steps)
    return tokenizer
