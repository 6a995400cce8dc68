"""ELECTRA in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

ELECTRA trains a small generator (a masked LM) and a discriminator that tells which tokens the
generator replaced. Both are BERT's encoder, here the core's post-norm blocks under ELECTRA's
names, with factorized embeddings (`embedding_size`, projected to `hidden_size` by
`embeddings_project`) and no pooler. Read top to bottom: embeddings and encoder names, the
discriminator and generator heads' layers, `ElectraModel`, then one class per task head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.tied_lm_heads import FirstTokenClassifier
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TaskHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.summary import SummaryChoiceHead
from tfx_plugin_electra.configuration_electra import ElectraConfig


class ElectraEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings of width `embedding_size`, norm, dropout."""


# The encoder: the core's post-norm tree under ELECTRA's class names.
class ElectraSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`); relative position variants."""


class ElectraSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class ElectraAttention(blocks.Attention):
    self_class = ElectraSelfAttention
    output_class = ElectraSelfOutput


class ElectraIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation."""


class ElectraOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class ElectraLayer(blocks.EncoderLayer):
    attention_class = ElectraAttention
    intermediate_class = ElectraIntermediate
    output_class = ElectraOutput


class ElectraEncoder(blocks.Encoder):
    layer_class = ElectraLayer


class ElectraDiscriminatorPredictions(nn.Module):
    """One logit per token: was it replaced by the generator?"""

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation = activation_fn(config.hidden_act)
        self.dense_prediction = nn.Linear(config.hidden_size, 1)

    def forward(self, discriminator_hidden_states: torch.Tensor) -> torch.Tensor:
        hidden = self.activation(self.dense(discriminator_hidden_states))
        return self.dense_prediction(hidden).squeeze(-1)


class ElectraGeneratorPredictions(nn.Module):
    """The generator's transform before the vocabulary: dense to `embedding_size`, gelu, norm."""

    def __init__(self, config: ElectraConfig) -> None:
        super().__init__()
        self.activation = activation_fn("gelu")
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)

    def forward(self, generator_hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.activation(self.dense(generator_hidden_states)))


class ElectraClassificationHead(blocks.DenseClassificationHead):
    """Sentence head on the first token's features: dropout, dense, gelu, dropout, projection."""

    activation = "gelu"


@dataclass(repr=False, eq=False)
class ElectraForPreTrainingOutput(ModelOutput):
    loss: Any = None
    logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_GENERATOR_TIES = {"generator_lm_head.weight": "electra.embeddings.word_embeddings.weight"}


class ElectraPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every ELECTRA class (weight init is the core's default)."""

    config_class = ElectraConfig
    base_model_prefix = "electra"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class ElectraModel(blocks.EncoderModel, ElectraPreTrainedModel):
    """Embeddings, `embeddings_project` when `embedding_size != hidden_size`, the encoder."""

    embeddings_class = ElectraEmbeddings
    encoder_class = ElectraEncoder
    pooler_class = None
    project_embeddings = True


class ElectraForPreTraining(TaskHead, ElectraPreTrainedModel):
    """The discriminator: a replaced-token logit per token (label 1 = replaced)."""

    base_model_class = ElectraModel
    output_class = ElectraForPreTrainingOutput

    def build_head(self, config: ElectraConfig) -> None:
        self.discriminator_predictions = ElectraDiscriminatorPredictions(config)

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.discriminator_predictions(base.last_hidden_state)
        loss = None
        if labels is not None:  # over real tokens only when a mask is given
            mask = args[1] if len(args) > 1 else kwargs.get("attention_mask")
            keep = mask.bool() if mask is not None else torch.ones_like(labels, dtype=torch.bool)
            loss = F.binary_cross_entropy_with_logits(logits[keep], labels[keep].to(logits.dtype))
        return self.finish(return_dict, base, loss=loss, logits=logits)


class ElectraForMaskedLM(MaskedLMHead, ElectraPreTrainedModel):
    """The generator: masked-token prediction, output projection tied to the embeddings."""

    base_model_class = ElectraModel
    tied_weights: ClassVar[dict[str, str]] = _GENERATOR_TIES

    def build_head(self, config: ElectraConfig) -> None:
        self.generator_predictions = ElectraGeneratorPredictions(config)
        self.generator_lm_head = nn.Linear(config.embedding_size, config.vocab_size)

    def get_output_embeddings(self) -> nn.Linear:
        return self.generator_lm_head

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.generator_lm_head(self.generator_predictions(hidden))


class ElectraForCausalLM(GenerationMixin, CausalLMHead, ElectraPreTrainedModel):
    """Left-to-right LM with the generator's head on a causal ELECTRA (`is_decoder=True`)."""

    base_model_class = ElectraModel
    tied_weights: ClassVar[dict[str, str]] = _GENERATOR_TIES
    build_head = ElectraForMaskedLM.build_head
    get_output_embeddings = ElectraForMaskedLM.get_output_embeddings
    lm_logits = ElectraForMaskedLM.lm_logits


class ElectraForSequenceClassification(
    FirstTokenClassifier, SequenceClassificationHead, ElectraPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through `ElectraClassificationHead`."""

    base_model_class = ElectraModel
    classification_head_class = ElectraClassificationHead


class ElectraForTokenClassification(TokenClassificationHead, ElectraPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = ElectraModel


class ElectraForQuestionAnswering(QuestionAnsweringHead, ElectraPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = ElectraModel


class ElectraForMultipleChoice(SummaryChoiceHead, MultipleChoiceHead, ElectraPreTrainedModel):
    """Scores each candidate from its `SequenceSummary` (first token, projection, gelu)."""

    base_model_class = ElectraModel
