"""RoBERTa in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

RoBERTa is BERT's encoder (the core's standard post-norm tree, named the RoBERTa way) with two
differences that matter for the numbers: positions are counted from `pad_token_id + 1` and skip
padding tokens, and the heads differ (`lm_head` with its own bias; a two-layer classification
head on `<s>` without pooler). With `config.is_decoder` the self-attention is causal and keeps a
KV cache, which is what `RobertaForCausalLM.generate` runs on.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.outputs import CausalLMOutputWithCrossAttentions
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.blocks.tied_lm_heads import (
    NO_POOLER_KEYS,
    WITHOUT_POOLER,
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
from tfx_plugin_roberta.configuration_roberta import RobertaConfig


class RobertaEmbeddings(blocks.EncoderEmbeddings):
    """BERT's embeddings with fairseq position numbering: positions count from
    `pad_token_id + 1` over real tokens, padding sits at `pad_token_id`."""

    padding_offset_positions = True


# The encoder: the core's post-norm tree under RoBERTa's class names.
class RobertaSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""


class RobertaSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class RobertaAttention(blocks.Attention):
    self_class = RobertaSelfAttention
    output_class = RobertaSelfOutput


class RobertaIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation."""


class RobertaOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class RobertaLayer(blocks.EncoderLayer):
    attention_class = RobertaAttention
    intermediate_class = RobertaIntermediate
    output_class = RobertaOutput


class RobertaEncoder(blocks.Encoder):
    layer_class = RobertaLayer


class RobertaPooler(blocks.Pooler):
    """The first token's hidden state through a dense layer and tanh."""


class RobertaLMHead(blocks.DenseLMHead):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""


class RobertaClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""


# ---------------------------------------------------------------------------- models
_TIED_DECODER = {"lm_head.decoder.weight": "roberta.embeddings.word_embeddings.weight"}


class RobertaPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every RoBERTa class (weight init is the core's default)."""

    config_class = RobertaConfig
    base_model_prefix = "roberta"
    # old checkpoints saved the position-id buffer
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, RobertaLMHead):
            module.bias.data.zero_()


class RobertaModel(blocks.EncoderModel, RobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = RobertaEmbeddings
    encoder_class = RobertaEncoder
    pooler_class = RobertaPooler
    supports_cross_attention = True  # a decoder of EncoderDecoderModel (BERT2BERT)


class _LanguageModel(TiedDenseLMHead):
    """The masked- and causal-LM heads' shared parts: `lm_head`, tied to the embeddings."""

    base_model_class = RobertaModel
    lm_head_class = RobertaLMHead
    tied_weights: ClassVar[dict[str, str]] = _TIED_DECODER


class RobertaForMaskedLM(_LanguageModel, MaskedLMHead, RobertaPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""


class RobertaForCausalLM(_LanguageModel, CausalLMHead, GenerationMixin, RobertaPreTrainedModel):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); has `generate`."""

    output_class = CausalLMOutputWithCrossAttentions


class RobertaForSequenceClassification(SequenceClassificationHead, RobertaPreTrainedModel):
    """Classifies (or regresses) the whole sequence through `RobertaClassificationHead`."""

    base_model_class = RobertaModel
    base_model_kwargs = WITHOUT_POOLER
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own
    ignore_unexpected_keys: ClassVar[list[str]] = NO_POOLER_KEYS

    def build_classifier(self, config: RobertaConfig, outputs: int) -> nn.Module:
        return RobertaClassificationHead(config)


class RobertaForTokenClassification(TokenClassificationHead, RobertaPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = RobertaModel
    base_model_kwargs = WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = NO_POOLER_KEYS


class RobertaForQuestionAnswering(QuestionAnsweringHead, RobertaPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = RobertaModel
    base_model_kwargs = WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = NO_POOLER_KEYS


class RobertaForMultipleChoice(MultipleChoiceHead, RobertaPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = RobertaModel
    dropout_fields = ("hidden_dropout_prob",)
