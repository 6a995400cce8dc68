"""mBART and mBART-50 tokenizers: SentencePiece with fairseq ids and language-code tokens.

mBART (cc25) writes a source text as `X </s> en_XX`; mBART-50 as `en_XX X </s>`. Both know
their languages by code (`src_lang`, `tgt_lang`; `text_target` is encoded in `tgt_lang`), and
translation starts the decoder with the target code (`forced_bos_token_id`). The vocabulary is
the SentencePiece model's pieces with fairseq's `<s> <pad> </s> <unk>` first, the language codes
and `<mask>` last. The template logic is the core's (`LanguageCodesTokenizer`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from tokenizers import Tokenizer as RustTokenizer
from tokenizers import processors

from tfx_core.tokenization.classes import MBartTokenizerFast as _CoreMBartTokenizerFast
from tfx_core.tokenization.converters.sentencepiece import (
    build_model,
    default_normalizer,
    find_model_file,
    metaspace,
    read_model,
)
from tfx_core.tokenization.converters.sentencepiece_families import MBART_LANGUAGE_CODES
from tfx_core.tokenization.languages import LanguageCodesTokenizer

#: The 27 codes mBART-50 adds after mBART-cc25's 25 (the reference's order).
_MBART50_EXTRA_CODES = (
    "af_ZA az_AZ bn_IN fa_IR he_IL hr_HR id_ID ka_GE km_KH mk_MK ml_IN mn_MN mr_IN pl_PL "
    "ps_AF pt_XX sv_SE sw_KE ta_IN te_IN th_TH tl_XX uk_UA ur_PK xh_ZA gl_ES sl_SI"
)
MBART50_LANGUAGE_CODES = (*MBART_LANGUAGE_CODES, *_MBART50_EXTRA_CODES.split())


def _special(content: str, *, lstrip: bool = False) -> dict[str, Any]:
    return {
        "content": content,
        "single_word": False,
        "lstrip": lstrip,
        "rstrip": False,
        "normalized": False,
        "special": True,
    }


def convert_mbart50(folder: Path, tokenizer_config: dict) -> RustTokenizer:
    """mBART-50's `sentencepiece.bpe.model`: fairseq ids, the 52 codes and `<mask>` last,
    `en_XX X </s>` (the class sets the source language's code)."""
    spm = read_model(find_model_file(folder, ("sentencepiece.bpe.model",)))
    tokenizer_config.setdefault("tokenizer_class", "MBart50Tokenizer")
    for role, token in (  # no bos_token: the reference's class has none
        ("eos_token", "</s>"),
        ("sep_token", "</s>"),
        ("cls_token", "<s>"),
        ("unk_token", "<unk>"),
        ("pad_token", "<pad>"),
    ):
        tokenizer_config.setdefault(role, _special(token))
    tokenizer_config.setdefault("mask_token", _special("<mask>", lstrip=True))
    tokenizer_config.setdefault(
        "additional_special_tokens", [_special(code) for code in MBART50_LANGUAGE_CODES]
    )
    vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(piece, score) for piece, score, _ in spm.pieces[3:]]
    vocab += [(code, 0.0) for code in MBART50_LANGUAGE_CODES] + [("<mask>", 0.0)]
    tokenizer = build_model(spm, vocab, 3)
    tokenizer.normalizer = default_normalizer(spm)
    tokenizer.pre_tokenizer, tokenizer.decoder = metaspace(tokenizer_config)
    ids = {piece: index for index, (piece, _) in enumerate(vocab)}
    tokenizer.post_processor = processors.TemplateProcessing(
        single="en_XX $A </s>",
        pair="en_XX $A $B </s>",
        special_tokens=[("en_XX", ids["en_XX"]), ("</s>", ids["</s>"])],
    )
    return tokenizer


class MBartTokenizerFast(LanguageCodesTokenizer, _CoreMBartTokenizerFast):
    """mBART (cc25): `X </s> src_lang` for inputs, `X </s> tgt_lang` for `text_target`."""

    reference_class = "MBartTokenizer"
    language_codes: ClassVar[tuple[str, ...]] = tuple(MBART_LANGUAGE_CODES)
    default_src_lang: ClassVar[str] = "en_XX"
    code_first: ClassVar[bool] = False


class MBart50TokenizerFast(LanguageCodesTokenizer):
    """mBART-50: `src_lang X </s>` for inputs, `tgt_lang X </s>` for `text_target`."""

    reference_class = "MBart50Tokenizer"
    language_codes: ClassVar[tuple[str, ...]] = MBART50_LANGUAGE_CODES
    default_src_lang: ClassVar[str] = "en_XX"
    code_first: ClassVar[bool] = True


MBartTokenizer = MBartTokenizerFast
MBart50Tokenizer = MBart50TokenizerFast
