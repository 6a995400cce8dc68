"""Entry module of tfx-plugin-bart (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_bart.configuration_bart:BartConfig"
_MODELING = "tfx_plugin_bart.modeling_bart"
# BART ships GPT-2 style vocab.json + merges.txt with RoBERTa's special tokens and template.
_CONVERTER = "tfx_core.tokenization.converters:convert_roberta_bpe"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "BartModel",
    "seq2seq-lm": "BartForConditionalGeneration",
    "causal-lm": "BartForCausalLM",
    "sequence-classification": "BartForSequenceClassification",
    "question-answering": "BartForQuestionAnswering",
}


_FLAX = "tfx_plugin_bart.modeling_flax_bart"
_FLAX_HEADS = {"base", "seq2seq-lm", "sequence-classification", "question-answering", "causal-lm"}

_TF = "tfx_plugin_bart.modeling_tf_bart"
_TF_HEADS = {"base", "question-answering", "seq2seq-lm", "sequence-classification", "causal-lm"}


def _implementations(head: str, name: str) -> dict[str, str]:
    """The head's class per framework (Flax for the heads `modeling_flax_bart` has)."""
    found = {"pt": f"{_MODELING}:{name}"}
    if head in _FLAX_HEADS:
        found["flax"] = f"{_FLAX}:Flax{name}"
    if head in _TF_HEADS:
        found["tf"] = f"{_TF}:TF{name}"
    return found


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="bart",
            config_class=_CONFIG,
            heads=tuple(
                HeadSpec(head, name, _implementations(head, name)) for head, name in _HEADS.items()
            ),
            tokenizer_converter=_CONVERTER,
            description="BART encoder-decoder (bart-base, bart-large-cnn, bart-large-mnli, ...)",
        )
    ]
