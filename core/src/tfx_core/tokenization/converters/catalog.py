"""Which converter serves which files, model types and reference tokenizer classes.

The core registers these through its own plugin (`tfx_tokenizer_converters`), under names that
plugins and users can refer to; a plugin points its `ArchitectureSpec.tokenizer_converter` at the
functions (`"tfx_core.tokenization.converters:convert_wordpiece"`). The model types and class
names are facts about the reference library (its `model_type` values and slow tokenizer classes);
this module imports nothing heavy, so plugin discovery stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

MODULE = "tfx_core.tokenization.converters"


@dataclass(frozen=True)
class ConverterFamily:
    """One converter: its registered name, function, input files and who uses it."""

    name: str
    function: str
    files: tuple[str, ...]
    model_types: tuple[str, ...] = ()
    #: Reference tokenizer class names without the `Tokenizer`/`TokenizerFast` suffix.
    class_stems: tuple[str, ...] = ()

    @property
    def reference(self) -> str:
        return f"{MODULE}:{self.function}"


FAMILIES: tuple[ConverterFamily, ...] = (
    ConverterFamily(
        "wordpiece",
        "convert_wordpiece",
        ("vocab.txt",),
        (
            "bert",
            "distilbert",
            "electra",
            "convbert",
            "layoutlm",
            "lxmert",
            "mobilebert",
            "squeezebert",
            "retribert",
            "realm",
            "dpr",
        ),
        (
            "Bert",
            "DistilBert",
            "Electra",
            "ConvBert",
            "LayoutLM",
            "Lxmert",
            "MobileBert",
            "SqueezeBert",
            "RetriBert",
            "Realm",
            "DPRReader",
            "DPRQuestionEncoder",
            "DPRContextEncoder",
        ),
    ),
    ConverterFamily(
        "byte-level-bpe",
        "convert_byte_level_bpe",
        ("vocab.json", "merges.txt"),
        ("gpt2",),
        ("GPT2",),
    ),
    ConverterFamily(
        "roberta-byte-level-bpe",
        "convert_roberta_bpe",
        ("vocab.json", "merges.txt"),
        ("roberta", "bart", "longformer", "led", "mvp"),
        ("Roberta", "Bart", "Longformer", "LED", "Mvp"),
    ),
    # BERTweet and PhoBERT checkpoints say model_type "roberta": their class names pick this.
    ConverterFamily(
        "fastbpe", "convert_fastbpe", ("vocab.txt", "bpe.codes"), (), ("Bertweet", "Phobert")
    ),
    # XLM and FlauBERT: Moses (sacremoses, a dependency of their plugins) before BPE.
    ConverterFamily(
        "xlm-moses-bpe", "convert_xlm", ("vocab.json", "merges.txt"), ("xlm",), ("XLM",)
    ),
    ConverterFamily(
        "flaubert-moses-bpe",
        "convert_flaubert",
        ("vocab.json", "merges.txt"),
        ("flaubert",),
        ("Flaubert",),
    ),
    # Plain SentencePiece, for a spiece.model that no hint places in a family.
    ConverterFamily(
        "sentencepiece",
        "convert_sentencepiece",
        ("spiece.model",),
        (),
        ("Reformer", "BertGeneration"),
    ),
    ConverterFamily(
        "xlm-roberta-sentencepiece",
        "convert_xlm_roberta",
        ("sentencepiece.bpe.model",),
        ("xlm-roberta",),
        ("XLMRoberta",),
    ),
    # Without a hint, a fairseq-named model is read as XLM-R's (the most common such file).
    ConverterFamily("sentencepiece-fairseq", "convert_xlm_roberta", ("sentencepiece.bpe.model",)),
    ConverterFamily(
        "camembert-sentencepiece",
        "convert_camembert",
        ("sentencepiece.bpe.model",),
        ("camembert",),
        ("Camembert",),
    ),
    ConverterFamily(
        "mbart-sentencepiece",
        "convert_mbart",
        ("sentencepiece.bpe.model",),
        ("mbart",),
        ("MBart",),
    ),
    ConverterFamily(
        "t5-sentencepiece", "convert_t5", ("spiece.model",), ("t5", "mt5", "umt5"), ("T5",)
    ),
    ConverterFamily(
        "albert-sentencepiece", "convert_albert", ("spiece.model",), ("albert",), ("Albert",)
    ),
    ConverterFamily(
        "rembert-sentencepiece",
        "convert_rembert",
        ("sentencepiece.model",),
        ("rembert",),
        ("RemBert",),
    ),
    ConverterFamily(
        "xlnet-sentencepiece", "convert_xlnet", ("spiece.model",), ("xlnet",), ("XLNet", "Cpm")
    ),
    ConverterFamily(
        "pegasus-sentencepiece", "convert_pegasus", ("spiece.model",), ("pegasus",), ("Pegasus",)
    ),
    ConverterFamily(
        "deberta-v2-sentencepiece",
        "convert_deberta_v2",
        ("spm.model",),
        ("deberta-v2",),
        ("DebertaV2",),
    ),
    ConverterFamily("fnet-sentencepiece", "convert_fnet", ("spiece.model",), ("fnet",), ("FNet",)),
    # (named after "wordpiece" so that a bare vocab.txt without hints stays BERT's)
    ConverterFamily("wordpiece-mpnet", "convert_mpnet", ("vocab.txt",), ("mpnet",), ("MPNet",)),
    ConverterFamily("wordpiece-funnel", "convert_funnel", ("vocab.txt",), ("funnel",), ("Funnel",)),
    ConverterFamily(
        "deberta-byte-level-bpe",
        "convert_deberta_bpe",
        ("vocab.json", "merges.txt"),
        ("deberta",),
        ("Deberta",),
    ),
    ConverterFamily(
        "llama-sentencepiece",
        "convert_llama",
        ("tokenizer.model",),
        (),
        ("Llama", "CodeLlama"),
    ),
)


def family_for_class(tokenizer_class: str | None) -> ConverterFamily | None:
    """The family of a reference class name ('XLMRobertaTokenizerFast' -> XLM-R), if known."""
    if not tokenizer_class:
        return None
    stem = tokenizer_class.removesuffix("Fast").removesuffix("Tokenizer")
    for family in FAMILIES:
        if stem in family.class_stems:
            return family
    return None


def builtin_converter_specs() -> list:
    """The `TokenizerConverterSpec`s the core's own plugin registers."""
    from tfx_core.plugins.specs import TokenizerConverterSpec

    return [TokenizerConverterSpec(f.name, f.reference, f.files, f.model_types) for f in FAMILIES]
