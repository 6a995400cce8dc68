"""XLM-RoBERTa in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

The multilingual RoBERTa: the core's post-norm encoder blocks, embeddings with fairseq position
numbering (positions count from `pad_token_id + 1` over real tokens), no pooler in the heads,
the core's dense LM head (`lm_head`) and first-token classification head (`classifier`), all
under XLM-RoBERTa's names. Only the names are this plugin's own; the math is the core's.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.blocks.tied_lm_heads import (
    FirstTokenClassifier,
    NoPoolerHead,
    TiedDenseLMHead,
)
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_xlm_roberta.configuration_xlm_roberta import XLMRobertaConfig


class XLMRobertaEmbeddings(blocks.EncoderEmbeddings):
    """Word + fairseq-numbered position + token-type embeddings, layer norm, dropout."""

    padding_offset_positions = True


class XLMRobertaSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""


class XLMRobertaSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class XLMRobertaAttention(blocks.Attention):
    self_class = XLMRobertaSelfAttention
    output_class = XLMRobertaSelfOutput


class XLMRobertaIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation."""


class XLMRobertaOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class XLMRobertaLayer(blocks.EncoderLayer):
    attention_class = XLMRobertaAttention
    intermediate_class = XLMRobertaIntermediate
    output_class = XLMRobertaOutput


class XLMRobertaEncoder(blocks.Encoder):
    layer_class = XLMRobertaLayer


class XLMRobertaPooler(blocks.Pooler):
    """The first token's hidden state through a dense layer and tanh."""


class XLMRobertaLMHead(blocks.DenseLMHead):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""


class XLMRobertaClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""


# ---------------------------------------------------------------------------- models
_TIED = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}


class XLMRobertaPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every XLM-RoBERTa class (the base lives at `roberta`)."""

    config_class = XLMRobertaConfig
    base_model_prefix = "roberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, XLMRobertaLMHead):
            module.bias.data.zero_()


class XLMRobertaModel(blocks.EncoderModel, XLMRobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = XLMRobertaEmbeddings
    encoder_class = XLMRobertaEncoder
    pooler_class = XLMRobertaPooler


class _LanguageModel(TiedDenseLMHead):
    """The masked- and causal-LM heads' shared parts: `lm_head`, tied to the embeddings."""

    base_model_class = XLMRobertaModel
    lm_head_class = XLMRobertaLMHead
    tied_weights: ClassVar[dict[str, str]] = _TIED


class XLMRobertaForMaskedLM(_LanguageModel, MaskedLMHead, XLMRobertaPreTrainedModel):
    """Predicts masked tokens (`fill-mask`)."""


class XLMRobertaForCausalLM(
    _LanguageModel, CausalLMHead, GenerationMixin, XLMRobertaPreTrainedModel
):
    """Left-to-right LM on a causal XLM-RoBERTa (`config.is_decoder=True`); has `generate`."""


class XLMRobertaForSequenceClassification(
    NoPoolerHead, FirstTokenClassifier, SequenceClassificationHead, XLMRobertaPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through the classification head."""

    base_model_class = XLMRobertaModel
    classification_head_class = XLMRobertaClassificationHead


class XLMRobertaForTokenClassification(
    NoPoolerHead, TokenClassificationHead, XLMRobertaPreTrainedModel
):
    """One label per token (named entities); label -100 is ignored."""

    base_model_class = XLMRobertaModel


class XLMRobertaForQuestionAnswering(
    NoPoolerHead, QuestionAnsweringHead, XLMRobertaPreTrainedModel
):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = XLMRobertaModel


class XLMRobertaForMultipleChoice(MultipleChoiceHead, XLMRobertaPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = XLMRobertaModel
    dropout_fields = ("hidden_dropout_prob",)
