"""BERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

Read top to bottom: embeddings; the encoder (the core's standard post-norm tree, named the BERT
way: `encoder.layer.N.attention.self.query ... output.LayerNorm`); the pooler and the
pre-training heads' layers; `BertModel`; then one class per task head. Everything BERT shares
with other encoders (the layer math, its fused and lean inference paths, the generic heads,
masks, losses, weight init) lives in `tfx_core.modeling.torch`; this file holds what is BERT's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from torch import nn

from tfx_core.errors import GenerationError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import (
    CausalLMOutputWithCrossAttentions,
    MaskedLMAndNextSentenceOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMAndNextSentenceHead,
    MaskedLMHead,
    MultipleChoiceHead,
    NextSentencePredictionHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_bert.configuration_bert import BertConfig


class BertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings, then layer norm and dropout."""


# The encoder: the core's post-norm tree under BERT's class names (see tfx_core blocks/encoder).
class BertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`); relative position variants."""


class BertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class BertAttention(blocks.Attention):
    self_class = BertSelfAttention
    output_class = BertSelfOutput


class BertIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation (`hidden_act`)."""


class BertOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class BertLayer(blocks.EncoderLayer):
    """One post-norm transformer layer: attention, then the feed-forward network."""

    attention_class = BertAttention
    intermediate_class = BertIntermediate
    output_class = BertOutput


class BertEncoder(blocks.Encoder):
    layer_class = BertLayer


class BertPooler(blocks.Pooler):
    """tanh(dense(first token)): the sentence summary that NSP and classifiers read."""


class BertPredictionHeadTransform(blocks.PredictionHeadTransform):
    """dense -> `hidden_act` -> `LayerNorm`, before the vocabulary projection."""


class BertLMPredictionHead(blocks.LMPredictionHead):
    """Transform, then project onto the vocabulary (weight tied to the word embeddings).

    The output bias is its own parameter (`predictions.bias`) shared with `decoder.bias`, as in
    the reference, so both key spellings found in checkpoints load.
    """

    transform_class = BertPredictionHeadTransform


class BertOnlyMLMHead(blocks.OnlyMLMHead):
    prediction_class = BertLMPredictionHead


class BertOnlyNSPHead(blocks.OnlyNSPHead):
    """`seq_relationship`: is sentence B the continuation of sentence A (two logits)."""


class BertPreTrainingHeads(blocks.PreTrainingHeads):
    prediction_class = BertLMPredictionHead


@dataclass(repr=False, eq=False)
class BertForPreTrainingOutput(MaskedLMAndNextSentenceOutput):
    """Masked-LM and next-sentence logits."""


# ---------------------------------------------------------------------------- models
_MLM_TIES = {"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"}
_MLM_SHARED = {"cls.predictions.decoder.bias": "cls.predictions.bias"}
_NO_POOLER = [r"(^|\.)pooler\."]


class BertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every BERT class (weight init is the core's default)."""

    config_class: ClassVar[type[BertConfig]] = BertConfig
    base_model_prefix: ClassVar[str] = "bert"
    # Checkpoints saved by old versions of the reference carry the position_ids buffer.
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BertLMPredictionHead):
            module.bias.data.zero_()


class BertModel(blocks.EncoderModel, BertPreTrainedModel):
    """The encoder: embeddings, `num_hidden_layers` layers, and the pooler (optional).

    With `config.is_decoder` the self-attention is causal and a KV cache can be used.
    """

    embeddings_class = BertEmbeddings
    encoder_class = BertEncoder
    pooler_class = BertPooler
    supports_cross_attention = True  # a decoder of EncoderDecoderModel (BERT2BERT)


class BertForMaskedLM(MaskedLMHead, BertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    base_model_class = BertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
        r"^cls\.seq_relationship\.",
    ]

    def build_head(self, config: BertConfig) -> None:
        self.cls = BertOnlyMLMHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder


class BertLMHeadModel(GenerationMixin, CausalLMHead, BertPreTrainedModel):
    """Left-to-right language modelling with a causal BERT (`is_decoder=True`); `generate`."""

    base_model_class = BertModel
    output_class = CausalLMOutputWithCrossAttentions
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = BertForMaskedLM.ignore_unexpected_keys

    def build_head(self, config: BertConfig) -> None:
        self.cls = BertOnlyMLMHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "BertLMHeadModel generates left to right only with a causal model: load it with "
                "is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )


class BertForPreTraining(MaskedLMAndNextSentenceHead, BertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    base_model_class = BertModel
    output_class = BertForPreTrainingOutput
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_SHARED

    def build_head(self, config: BertConfig) -> None:
        self.cls = BertPreTrainingHeads(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.cls.predictions.decoder


class BertForNextSentencePrediction(NextSentencePredictionHead, BertPreTrainedModel):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    base_model_class = BertModel
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        r"^cls\.predictions\.",
    ]

    def build_head(self, config: BertConfig) -> None:
        self.cls = BertOnlyNSPHead(config)


class BertForSequenceClassification(SequenceClassificationHead, BertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = BertModel


class BertForMultipleChoice(MultipleChoiceHead, BertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    base_model_class = BertModel


class BertForTokenClassification(TokenClassificationHead, BertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = BertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *BertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
    ]


class BertForQuestionAnswering(QuestionAnsweringHead, BertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = BertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = BertForTokenClassification.ignore_unexpected_keys
