"""I-BERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

I-BERT is RoBERTa trained for integer-only inference. In floating point (`quant_mode=False`,
the checkpoints' setting) its math is RoBERTa's: the core's post-norm encoder tree, positions
counted after `pad_token_id`, `lm_head` and a two-layer classifier on `<s>`. What is I-BERT's
own is the quantization state its modules carry (integer weights, scaling factors, activation
ranges): each class below registers it under the reference's names (`quant_state`), so
checkpoints load and save with the reference's keys. Integer-only inference itself
(`quant_mode=True`) is refused with a `ConfigError`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from torch import nn

from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.blocks.tied_lm_heads import (
    FirstTokenClassifier,
    NoPoolerHead,
    TiedDenseLMHead,
)
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_ibert.configuration_ibert import IBertConfig
from tfx_plugin_ibert.quant_state import (
    IntSoftmax,
    QuantAct,
    add_embedding_state,
    add_linear_state,
    add_norm_state,
    require_float_mode,
)


class IBertEmbeddings(blocks.EncoderEmbeddings):
    """RoBERTa's embeddings (positions after `pad_token_id`) with the quantizers' state."""

    padding_offset_positions = True

    def __init__(self, config: IBertConfig) -> None:
        super().__init__(config)
        for table in (self.word_embeddings, self.token_type_embeddings, self.position_embeddings):
            add_embedding_state(table)
        self.embeddings_act1 = QuantAct()
        self.embeddings_act2 = QuantAct()
        add_norm_state(self.LayerNorm)
        self.output_activation = QuantAct()


# The encoder: the core's post-norm tree; each module adds its quantization state.
class IBertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""

    def __init__(self, config: IBertConfig, *args: Any) -> None:
        super().__init__(config, *args)
        for projection in (self.query, self.key, self.value):
            add_linear_state(projection)
        self.query_activation = QuantAct()
        self.key_activation = QuantAct()
        self.value_activation = QuantAct()
        self.output_activation = QuantAct()
        self.softmax = IntSoftmax()


def _add_residual_state(module: blocks.SelfOutput | blocks.Output) -> None:
    """The state of a projection + residual + layer norm block (both output blocks)."""
    add_linear_state(module.dense)
    module.ln_input_act = QuantAct()
    add_norm_state(module.LayerNorm)
    module.output_activation = QuantAct()


class IBertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""

    def __init__(self, config: IBertConfig) -> None:
        super().__init__(config)
        _add_residual_state(self)


class IBertAttention(blocks.Attention):
    self_class = IBertSelfAttention
    output_class = IBertSelfOutput


class IBertIntermediate(blocks.Intermediate):
    """First feed-forward projection and GELU."""

    def __init__(self, config: IBertConfig) -> None:
        super().__init__(config)
        add_linear_state(self.dense)
        self.output_activation = QuantAct()


class IBertOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""

    def __init__(self, config: IBertConfig) -> None:
        super().__init__(config)
        _add_residual_state(self)


class IBertLayer(blocks.EncoderLayer):
    attention_class = IBertAttention
    intermediate_class = IBertIntermediate
    output_class = IBertOutput

    def __init__(self, config: IBertConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.pre_intermediate_act = QuantAct()
        self.pre_output_act = QuantAct()


class IBertEncoder(blocks.Encoder):
    layer_class = IBertLayer


class IBertPooler(blocks.Pooler):
    """The first token's hidden state through a dense layer and tanh."""


class IBertLMHead(blocks.DenseLMHead):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""


class IBertClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""


# ---------------------------------------------------------------------------- models


class IBertPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every I-BERT class; refuses `quant_mode=True`."""

    config_class = IBertConfig
    base_model_prefix = "ibert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def __init__(self, config: IBertConfig, *args: Any, **kwargs: Any) -> None:
        require_float_mode(config)
        super().__init__(config, *args, **kwargs)

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, IBertLMHead):
            module.bias.data.zero_()


class IBertModel(blocks.EncoderModel, IBertPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    embeddings_class = IBertEmbeddings
    encoder_class = IBertEncoder
    pooler_class = IBertPooler


class IBertForMaskedLM(TiedDenseLMHead, MaskedLMHead, IBertPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    base_model_class = IBertModel
    lm_head_class = IBertLMHead
    tied_weights: ClassVar[dict[str, str]] = {
        "lm_head.decoder.weight": "ibert.embeddings.word_embeddings.weight"
    }


class IBertForSequenceClassification(
    NoPoolerHead, FirstTokenClassifier, SequenceClassificationHead, IBertPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through `IBertClassificationHead`."""

    base_model_class = IBertModel
    classification_head_class = IBertClassificationHead


class IBertForTokenClassification(NoPoolerHead, TokenClassificationHead, IBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = IBertModel
    dropout_fields = ("hidden_dropout_prob",)


class IBertForQuestionAnswering(NoPoolerHead, QuestionAnsweringHead, IBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = IBertModel


class IBertForMultipleChoice(MultipleChoiceHead, IBertPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = IBertModel
    dropout_fields = ("hidden_dropout_prob",)
