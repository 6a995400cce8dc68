"""CamemBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

The French RoBERTa: the core's post-norm encoder blocks, embeddings with fairseq position
numbering (positions count from `pad_token_id + 1` over real tokens), no pooler in the heads,
the core's dense LM head (`lm_head`) and first-token classification head (`classifier`), all
under CamemBERT's names. Only the names are this plugin's own; the math is the core's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_camembert.configuration_camembert import CamembertConfig


class CamembertEmbeddings(blocks.EncoderEmbeddings):
    """Word + fairseq-numbered position + token-type embeddings, layer norm, dropout."""

    padding_offset_positions = True


class CamembertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""


class CamembertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class CamembertAttention(blocks.Attention):
    self_class = CamembertSelfAttention
    output_class = CamembertSelfOutput


class CamembertIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation."""


class CamembertOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class CamembertLayer(blocks.EncoderLayer):
    attention_class = CamembertAttention
    intermediate_class = CamembertIntermediate
    output_class = CamembertOutput


class CamembertEncoder(blocks.Encoder):
    layer_class = CamembertLayer


class CamembertPooler(blocks.Pooler):
    """The first token's hidden state through a dense layer and tanh."""


class CamembertLMHead(blocks.DenseLMHead):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""


class CamembertClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""


# ---------------------------------------------------------------------------- models
_NO_POOLER = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]
_TIED = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}
_SHARED_BIAS = {"lm_head.decoder.bias": "lm_head.bias"}
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class CamembertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every CamemBERT class (the base lives at `roberta`)."""

    config_class = CamembertConfig
    base_model_prefix = "roberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, CamembertLMHead):
            module.bias.data.zero_()


class CamembertModel(blocks.EncoderModel, CamembertPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = CamembertEmbeddings
    encoder_class = CamembertEncoder
    pooler_class = CamembertPooler


class _LanguageModel:
    """The masked- and causal-LM heads' shared parts: `lm_head`, tied to the embeddings."""

    base_model_class = CamembertModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_weights: ClassVar[dict[str, str]] = _TIED
    shared_weights: ClassVar[dict[str, str]] = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER
    output_embeddings_attribute = "lm_head.decoder"

    def build_head(self, config: CamembertConfig) -> None:
        self.lm_head = CamembertLMHead(config)


class CamembertForMaskedLM(_LanguageModel, MaskedLMHead, CamembertPreTrainedModel):
    """Predicts masked tokens (`fill-mask`)."""


class CamembertForCausalLM(_LanguageModel, CausalLMHead, GenerationMixin, CamembertPreTrainedModel):
    """Left-to-right LM on a causal CamemBERT (`config.is_decoder=True`); has `generate`."""


class CamembertForSequenceClassification(SequenceClassificationHead, CamembertPreTrainedModel):
    """Classifies (or regresses) the whole sequence through the classification head."""

    base_model_class = CamembertModel
    base_model_kwargs = _WITHOUT_POOLER
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_classifier(self, config: CamembertConfig, outputs: int) -> nn.Module:
        return CamembertClassificationHead(config)


class CamembertForTokenClassification(TokenClassificationHead, CamembertPreTrainedModel):
    """One label per token (named entities); label -100 is ignored."""

    base_model_class = CamembertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class CamembertForQuestionAnswering(QuestionAnsweringHead, CamembertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = CamembertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class CamembertForMultipleChoice(MultipleChoiceHead, CamembertPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = CamembertModel
    dropout_fields = ("hidden_dropout_prob",)
