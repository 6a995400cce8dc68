"""Defaults the reference library ties to a `tokenizer_class` name rather than to the files.

Checkpoints rely on them silently: a config saying `"tokenizer_class": "GPT2Tokenizer"` means
"no token_type_ids", `LlamaTokenizer` means "pad on the left, add <s>". tfx has one tokenizer
class, so it reads these class-level defaults from this table (facts about the reference's
behaviour, keyed by class name without the `Fast` suffix). Values in `tokenizer_config.json`
always win over them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassProfile:
    """What a reference tokenizer class implies when the config does not say otherwise."""

    model_input_names: tuple[str, ...] = ("input_ids", "token_type_ids", "attention_mask")
    padding_side: str = "right"
    #: BERT family: the config's do_lower_case / strip_accents / tokenize_chinese_chars (with
    #: these defaults) are forced onto a BertNormalizer.
    bert_normalizer: bool = False
    #: RoBERTa family: add_prefix_space / trim_offsets are forced onto the post-processor.
    roberta_post_processor: bool = False
    #: Llama family: the post-processor is rebuilt from add_bos_token / add_eos_token.
    bos_eos_defaults: tuple[bool, bool] | None = None
    #: Byte-level families refuse pre-tokenized words unless add_prefix_space is set.
    words_need_prefix_space: bool = False
    #: The segment id of padding (XLNet pads with 3: its `<cls>` sits in segment 2).
    pad_token_type_id: int = 0
    #: The reference class name (without "Fast") when known, e.g. "GPT2Tokenizer".
    class_name: str | None = None


_NO_TYPE_IDS = ("input_ids", "attention_mask")

_BERT_NORMALIZER = (
    "Bert",
    "ConvBert",
    "DPRContextEncoder",
    "DPRQuestionEncoder",
    "DPRReader",
    "Electra",
    "Funnel",
    "LayoutLM",
    "Lxmert",
    "MobileBert",
    "Realm",
    "RoFormer",
    "Splinter",
    "SqueezeBert",
)
_NO_TOKEN_TYPES = (
    "Bart",
    "Barthez",
    "BigBird",
    "Blenderbot",
    "BlenderbotSmall",
    "Bloom",
    "CLIP",
    "Camembert",
    "CodeGen",
    "CodeLlama",
    "Cohere",
    "DPRReader",
    "DistilBert",
    "GPT2",
    "GPTNeoX",
    "Gemma",
    "LED",
    "LayoutLMv3",
    "LayoutXLM",
    "Llama",
    "Longformer",
    "M2M100",
    "MBart",
    "MBart50",
    "Marian",
    "MPNet",
    "Mvp",
    "Nllb",
    "Nougat",
    "OpenAIGPT",
    "Pegasus",
    "Qwen2",
    "Reformer",
    "RetriBert",
    "Roberta",
    "SeamlessM4T",
    "T5",
    "Udop",
    "Whisper",
    "XGLM",
    "XLMRoberta",
)
_ROBERTA_POST = ("Bart", "Blenderbot", "LED", "LayoutLMv3", "Longformer", "Mvp", "Roberta")
_WORDS_NEED_PREFIX = (
    "Bart",
    "Blenderbot",
    "Bloom",
    "CodeGen",
    "Cohere",
    "Deberta",
    "GPT2",
    "GPTNeoX",
    "LED",
    "Longformer",
    "Mvp",
    "Roberta",
    "Whisper",
)
_LEFT_PADDING = ("CodeLlama", "Cohere", "Gemma", "Llama", "XLNet")
_BOS_EOS = {
    "Llama": (True, False),
    "CodeLlama": (True, False),
    "Gemma": (True, False),
    "Cohere": (True, False),
    "GPTNeoX": (False, False),
}

_PAD_TOKEN_TYPE_IDS = {"XLNet": 3, "Cpm": 3}
#: classes whose models take no attention mask
_NO_ATTENTION_MASK = ("FNet",)

DEFAULT_PROFILE = ClassProfile()


def class_stem(tokenizer_class: str | None) -> str | None:
    """'BertTokenizerFast' -> 'Bert'; None for names that are not reference tokenizer classes."""
    if not tokenizer_class:
        return None
    name = tokenizer_class.removesuffix("Fast")
    if not name.endswith("Tokenizer") or name in ("PreTrainedTokenizer", "Tokenizer"):
        return None
    return name.removesuffix("Tokenizer") or None


def profile_for(tokenizer_class: str | None) -> ClassProfile:
    stem = class_stem(tokenizer_class)
    if stem is None:
        return DEFAULT_PROFILE
    return ClassProfile(
        model_input_names=_NO_TYPE_IDS
        if stem in _NO_TOKEN_TYPES
        else ("input_ids", "token_type_ids")
        if stem in _NO_ATTENTION_MASK
        else DEFAULT_PROFILE.model_input_names,
        padding_side="left" if stem in _LEFT_PADDING else "right",
        bert_normalizer=stem in _BERT_NORMALIZER,
        roberta_post_processor=stem in _ROBERTA_POST,
        bos_eos_defaults=_BOS_EOS.get(stem),
        words_need_prefix_space=stem in _WORDS_NEED_PREFIX,
        pad_token_type_id=_PAD_TOKEN_TYPE_IDS.get(stem, 0),
        class_name=f"{stem}Tokenizer",
    )


def profile_for_model_type(model_type: str | None) -> ClassProfile:
    """The profile of the reference class a `model_type` maps to ('gpt_neox' -> GPTNeoX)."""
    if not model_type:
        return DEFAULT_PROFILE
    key = model_type.replace("-", "").replace("_", "").lower()
    for stem in {
        *_BERT_NORMALIZER,
        *_NO_TOKEN_TYPES,
        *_LEFT_PADDING,
        *_BOS_EOS,
        *_WORDS_NEED_PREFIX,
        *_NO_ATTENTION_MASK,
    }:
        if stem.lower() == key:
            return profile_for(f"{stem}Tokenizer")
    return DEFAULT_PROFILE


def model_type_hint(tokenizer_class: str | None) -> str | None:
    """A model_type guess from a class name ('RobertaTokenizer' -> 'roberta'), for converters."""
    stem = class_stem(tokenizer_class)
    return stem.lower() if stem else None
