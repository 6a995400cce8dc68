"""Converters of the legacy tokenizer files of DeBERTa, DeBERTa-v2, MPNet, FNet and Funnel.

- `convert_deberta_v2`: DeBERTa-v2/v3's SentencePiece `spm.model` (unigram): optional
  lower-casing, stripped text, the model's normalization table, runs of spaces as one,
  optional punctuation split, `[CLS] A [SEP] B [SEP]` with segment ids.
- `convert_deberta_bpe`: DeBERTa (v1)'s GPT-2 byte-level BPE (`vocab.json` + `merges.txt`)
  with `[CLS] A [SEP] B [SEP]`.
- `convert_mpnet`: MPNet's BERT WordPiece (`vocab.txt`) with `<s> A </s></s> B </s>`.
- `convert_fnet`: FNet's `spiece.model`, converted as ALBERT's with FNet's defaults.
- `convert_funnel`: Funnel's BERT WordPiece (`vocab.txt`) with `<cls>` in token type 2.

Each fills in the `tokenizer_config` defaults of the reference's tokenizer class (values already
in `tokenizer_config.json` win).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors

from tfx_core.tokenization.converters.byte_level import _byte_level_bpe, _token_id
from tfx_core.tokenization.converters.sentencepiece import metaspace
from tfx_core.tokenization.converters.sentencepiece_families import (
    _albert_specials,
    _assemble,
    _bert_style_template,
    _content,
    _defaults,
    _load,
    _scored,
    convert_albert,
    special_token_entry,
)
from tfx_core.tokenization.converters.wordpiece import convert_wordpiece

DEBERTA_V2_FILES = ("spm.model",)


def convert_deberta_v2(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """DeBERTa-v2/v3: SentencePiece unigram with `[CLS] A [SEP] B [SEP]`."""
    spm = _load(folder, DEBERTA_V2_FILES)
    tokenizer_config.setdefault("tokenizer_class", "DebertaV2Tokenizer")
    _defaults(
        tokenizer_config,
        do_lower_case=False,
        split_by_punct=False,
        bos_token=special_token_entry("[CLS]"),
        eos_token=special_token_entry("[SEP]"),
        unk_token=special_token_entry("[UNK]", normalized=True),
        sep_token=special_token_entry("[SEP]"),
        pad_token=special_token_entry("[PAD]"),
        cls_token=special_token_entry("[CLS]"),
        mask_token=special_token_entry("[MASK]"),
    )
    steps: list[Any] = []
    if tokenizer_config.get("do_lower_case"):
        steps.append(normalizers.Lowercase())
    steps.append(normalizers.Strip())
    if spm.precompiled_charsmap:
        steps.append(normalizers.Precompiled(spm.precompiled_charsmap))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    pre, _ = metaspace(tokenizer_config)
    if tokenizer_config.get("split_by_punct"):
        pre = pre_tokenizers.Sequence([pre_tokenizers.Punctuation(behavior="isolated"), pre])
    return _assemble(
        spm,
        _scored(spm),
        spm.unk_id,
        tokenizer_config,
        normalizer=normalizers.Sequence(steps),
        pre_tokenizer=pre,
        template=_bert_style_template(tokenizer_config),
    )


def convert_deberta_bpe(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """DeBERTa (v1): GPT-2's byte-level BPE with `[CLS] A [SEP] B [SEP]`."""
    tokenizer_config.setdefault("tokenizer_class", "DebertaTokenizer")
    _defaults(
        tokenizer_config,
        bos_token=special_token_entry("[CLS]"),
        eos_token=special_token_entry("[SEP]"),
        sep_token=special_token_entry("[SEP]"),
        cls_token=special_token_entry("[CLS]"),
        unk_token=special_token_entry("[UNK]"),
        pad_token=special_token_entry("[PAD]"),
        mask_token=special_token_entry("[MASK]", lstrip=True, normalized=True),
        add_prefix_space=False,
    )
    tokenizer, vocab = _byte_level_bpe(folder, bool(tokenizer_config["add_prefix_space"]))
    single, pair, (cls, sep) = _bert_style_template(tokenizer_config)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=single,
        pair=pair,
        special_tokens=[
            (cls, _token_id(vocab, cls, "cls_token", folder)),
            (sep, _token_id(vocab, sep, "sep_token", folder)),
        ],
    )
    return tokenizer


def convert_mpnet(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """MPNet: BERT's WordPiece (`vocab.txt`) with `<s> A </s>` / `<s> A </s></s> B </s>`."""
    tokenizer_config.setdefault("tokenizer_class", "MPNetTokenizer")
    _defaults(
        tokenizer_config,
        bos_token=special_token_entry("<s>"),
        eos_token=special_token_entry("</s>"),
        sep_token=special_token_entry("</s>"),
        cls_token=special_token_entry("<s>"),
        unk_token=special_token_entry("[UNK]"),
        pad_token=special_token_entry("<pad>"),
        mask_token=special_token_entry("<mask>", lstrip=True),
        model_input_names=["input_ids", "attention_mask"],
    )
    tokenizer = convert_wordpiece(folder, tokenizer_config)
    vocab = tokenizer.get_vocab()
    cls, sep = _content(tokenizer_config["cls_token"]), _content(tokenizer_config["sep_token"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:0 $A:0 {sep}:0",
        pair=f"{cls}:0 $A:0 {sep}:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    return tokenizer


def convert_funnel(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """Funnel Transformer: BERT's WordPiece (`vocab.txt`) with Funnel's special tokens, and
    token type 2 for `<cls>` (`<cls> A <sep>` / `<cls> A <sep> B <sep>`)."""
    tokenizer_config.setdefault("tokenizer_class", "FunnelTokenizer")
    _defaults(
        tokenizer_config,
        unk_token="<unk>",
        sep_token="<sep>",
        pad_token="<pad>",
        cls_token="<cls>",
        mask_token="<mask>",
        bos_token="<s>",
        eos_token="</s>",
    )
    tokenizer = convert_wordpiece(folder, tokenizer_config)
    vocab = tokenizer.get_vocab()
    cls, sep = _content(tokenizer_config["cls_token"]), _content(tokenizer_config["sep_token"])
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls}:2 $A:0 {sep}:0",
        pair=f"{cls}:2 $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, vocab[cls]), (sep, vocab[sep])],
    )
    return tokenizer


def convert_fnet(folder: Path, tokenizer_config: dict) -> Tokenizer:
    """FNet: ALBERT's SentencePiece conversion, cased with accents kept, no bos/eos tokens,
    and no attention mask among the model inputs."""
    tokenizer_config.setdefault("tokenizer_class", "FNetTokenizer")
    _defaults(
        tokenizer_config,
        do_lower_case=False,
        remove_space=True,
        keep_accents=True,
        model_input_names=["input_ids", "token_type_ids"],
        **_albert_specials(bos_token=None, eos_token=None),
    )
    return convert_albert(folder, tokenizer_config)
