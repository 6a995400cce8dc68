"""CamemBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

The French RoBERTa: the core's post-norm encoder blocks, embeddings with fairseq position
numbering (positions count from `pad_token_id + 1` over real tokens), no pooler in the heads,
the core's dense LM head (`lm_head`) and first-token classification head (`classifier`), all
under CamemBERT's names. Only the names are this plugin's own; the math is the core's.
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
_TIED = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}


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


class _LanguageModel(TiedDenseLMHead):
    """The masked- and causal-LM heads' shared parts: `lm_head`, tied to the embeddings."""

    base_model_class = CamembertModel
    lm_head_class = CamembertLMHead
    tied_weights: ClassVar[dict[str, str]] = _TIED


class CamembertForMaskedLM(_LanguageModel, MaskedLMHead, CamembertPreTrainedModel):
    """Predicts masked tokens (`fill-mask`)."""


class CamembertForCausalLM(_LanguageModel, CausalLMHead, GenerationMixin, CamembertPreTrainedModel):
    """Left-to-right LM on a causal CamemBERT (`config.is_decoder=True`); has `generate`."""


class CamembertForSequenceClassification(
    NoPoolerHead, FirstTokenClassifier, SequenceClassificationHead, CamembertPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through the classification head."""

    base_model_class = CamembertModel
    classification_head_class = CamembertClassificationHead


class CamembertForTokenClassification(
    NoPoolerHead, TokenClassificationHead, CamembertPreTrainedModel
):
    """One label per token (named entities); label -100 is ignored."""

    base_model_class = CamembertModel


class CamembertForQuestionAnswering(NoPoolerHead, QuestionAnsweringHead, CamembertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = CamembertModel


class CamembertForMultipleChoice(MultipleChoiceHead, CamembertPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = CamembertModel
    dropout_fields = ("hidden_dropout_prob",)
