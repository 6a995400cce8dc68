"""Entry module of tfx-plugin-t5 (`tfx.plugins` entry point): specs only, no framework import.

Two model types, as the reference registers them: `t5` (T5 v1.0 / v1.1, ByT5, Flan-T5) and
`mt5`, each with its own config and class names.
"""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, TokenizerConverterSpec, hookimpl

_HEADS = (
    ("base", "Model"),
    ("seq2seq-lm", "ForConditionalGeneration"),
    ("encoder", "EncoderModel"),
    ("sequence-classification", "ForSequenceClassification"),
    ("token-classification", "ForTokenClassification"),
    ("question-answering", "ForQuestionAnswering"),
)


_TOKENIZATION = "tfx_plugin_t5.tokenization_t5"


_FLAX = "tfx_plugin_t5.modeling_flax_t5"
_FLAX_HEADS = {"base", "seq2seq-lm", "encoder"}
_FLAX_TASK_HEADS = {"sequence-classification", "token-classification", "question-answering"}
_TF_HEADS = {"base", "seq2seq-lm", "encoder"}
_TF_TASK_HEADS = {"sequence-classification", "token-classification", "question-answering"}


def _implementations(module: str, head: str, name: str) -> dict[str, str]:
    """The head's class per framework (Flax for the heads `modeling_flax_t5` has)."""
    found = {"pt": f"{module}:{name}"}
    if head in _FLAX_HEADS:
        found["flax"] = f"{_FLAX}:Flax{name}"
    if head in _FLAX_TASK_HEADS:
        found["flax"] = f"{_FLAX}_heads:Flax{name}"
    if head in _TF_HEADS:  # modeling_tf_t5 / modeling_tf_mt5
        found["tf"] = f"{module.replace('.modeling_', '.modeling_tf_')}:TF{name}"
    if head in _TF_TASK_HEADS:  # the TF task heads of both live in modeling_tf_t5_heads
        found["tf"] = f"tfx_plugin_t5.modeling_tf_t5_heads:TF{name}"
    return found


def _spec(model_type: str, prefix: str, description: str) -> ArchitectureSpec:
    module = f"tfx_plugin_t5.modeling_{model_type}"
    return ArchitectureSpec(
        model_type=model_type,
        config_class=f"tfx_plugin_t5.configuration_t5:{prefix}Config",
        heads=tuple(
            HeadSpec(head, f"{prefix}{suffix}", _implementations(module, head, prefix + suffix))
            for head, suffix in _HEADS
        ),
        # spiece.model (T5, mT5) or, for ByT5 checkpoints (model_type t5), the byte tokenizer
        tokenizer_converter=f"{_TOKENIZATION}:convert_t5_family",
        description=description,
    )


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        _spec(
            "t5",
            "T5",
            "Google T5 encoder-decoder (v1.0, v1.1, Flan-T5, ByT5): relative position "
            "buckets, RMS norm, text-to-text generation",
        ),
        _spec("mt5", "MT5", "Multilingual T5 (mT5): T5 v1.1 with a 250k SentencePiece vocabulary"),
    ]


@hookimpl
def tfx_tokenizer_converters() -> list[TokenizerConverterSpec]:
    """ByT5's byte tokenizer for a tokenizer folder without config.json (its class names it)."""
    return [
        TokenizerConverterSpec(
            "byt5-bytes",
            f"{_TOKENIZATION}:convert_byt5",
            ("tokenizer_config.json",),
            ("byt5",),
        )
    ]
