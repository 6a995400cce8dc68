"""Entry module of tfx-plugin-megatron-bert (`tfx.plugins` entry point): specs only, no framework import."""

from tfx_core.plugins import ArchitectureSpec, HeadSpec, hookimpl

_CONFIG = "tfx_plugin_megatron_bert.configuration_megatron_bert:MegatronBertConfig"
_MODELING = "tfx_plugin_megatron_bert.modeling_megatron_bert"
# BERT's WordPiece vocab.txt becomes a tokenizer.json through the core's converter.
_CONVERTER = "tfx_core.tokenization.converters:convert_wordpiece"

#: head key -> the class (and `architectures` name in config.json) that serves it
_HEADS = {
    "base": "MegatronBertModel",
    "pretraining": "MegatronBertForPreTraining",
    "masked-lm": "MegatronBertForMaskedLM",
    "causal-lm": "MegatronBertForCausalLM",
    "next-sentence-prediction": "MegatronBertForNextSentencePrediction",
    "sequence-classification": "MegatronBertForSequenceClassification",
    "token-classification": "MegatronBertForTokenClassification",
    "question-answering": "MegatronBertForQuestionAnswering",
    "multiple-choice": "MegatronBertForMultipleChoice",
}


@hookimpl
def tfx_architectures() -> list[ArchitectureSpec]:
    return [
        ArchitectureSpec(
            model_type="megatron-bert",
            config_class=_CONFIG,
            tokenizer_converter=_CONVERTER,
            heads=tuple(
                HeadSpec(head, name, {"pt": f"{_MODELING}:{name}"}) for head, name in _HEADS.items()
            ),
            description="Megatron-BERT (nvidia/megatron-bert-cased/uncased-345m, ...)",
        )
    ]
