"""DistilBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

Read top to bottom: embeddings (the core's, without token types), self-attention, feed-forward,
block, the `Transformer` stack, the base `DistilBertModel` (the core's `EncoderModel`), then the
heads. DistilBERT is BERT with half the layers, no pooler, no token types and its own module
names (`q_lin`, `sa_layer_norm`, `ffn.lin1`, ...): its layer is written here on the core's block
math, and its `lean_layout` and `lean_training_layout` give it the core's lean inference and
training paths. Its sentence heads pool the first token through `pre_classifier` and a ReLU.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn, training_activation
from tfx_core.modeling.torch.blocks import LeanLayout, LeanTrainingLayout
from tfx_core.modeling.torch.blocks.encoder_model import sinusoidal_positions
from tfx_core.modeling.torch.blocks.functional import activated, multi_head_context, residual_norm
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.projections import FusedProjections
from tfx_plugin_distilbert.configuration_distilbert import DistilBertConfig

LAYER_NORM_EPS = 1e-12  # fixed in DistilBERT (not a config field)


class Embeddings(blocks.EncoderEmbeddings):
    """Token + position embeddings (no token types), then layer norm and dropout."""

    token_types = False
    dropout_field = "dropout"


@trusted_forward
class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention (`q_lin`, `k_lin`, `v_lin`, `out_lin`)."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout_p = config.attention_dropout
        self.projections = FusedProjections(self, ("q_lin", "k_lin", "v_lin"))

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        query, key, value = self.projections.heads(hidden_states, self.n_heads)
        context, weights = multi_head_context(
            query,
            key,
            value,
            bias=bias,
            dropout_p=self.dropout_p if self.training else 0.0,
            head_mask=head_mask,
            output_attentions=output_attentions,
            implementation=implementation,
        )
        return self.out_lin(context), weights


@trusted_forward
class FFN(nn.Module):
    """Position-wise feed-forward: `lin1`, activation, `lin2`, dropout."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = activation_fn(config.activation)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        activation = self.activation
        if self.training and torch.is_grad_enabled():
            activation = training_activation(activation)  # (the core blocks' choice)
        hidden_states = self.lin2(activated(hidden_states, self.lin1, activation))
        return self.dropout(hidden_states) if self.training else hidden_states


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


@trusted_forward
class TransformerBlock(nn.Module):
    """Post-norm block: norm(x + attn(x)), then norm(. + ffn(.))."""

    lean_layout: ClassVar[LeanLayout] = LeanLayout(
        attention="attention",
        heads="n_heads",
        attention_output="attention.out_lin",
        attention_norm="sa_layer_norm",
        intermediate="ffn.lin1",
        activation="ffn.activation",
        output="ffn.lin2",
        output_norm="output_layer_norm",
    )
    lean_training_layout: ClassVar[LeanTrainingLayout] = LeanTrainingLayout(
        probability_dropout="dropout_p", attention_dropout=None, output_dropout="ffn.dropout"
    )

    def __init__(self, config: DistilBertConfig, layer_idx: int = 0) -> None:
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Any = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states, bias, head_mask, output_attentions, implementation
        )
        attended = residual_norm(attended, hidden_states, _identity, self.sa_layer_norm)
        return residual_norm(attended, attended, self.ffn, self.output_layer_norm), weights


class Transformer(blocks.Encoder):
    """The stack of `n_layers` blocks in `layer` (run lean at inference by the core)."""

    layer_class = TransformerBlock


class DistilBertPreTrainedModel(PreTrainedModel):
    """Loading rules and weight initialisation shared by the base model and every head."""

    config_class = DistilBertConfig
    base_model_prefix = "distilbert"
    # older checkpoints saved the position-id buffer; it is derived, not a weight
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, Embeddings) and self.config.sinusoidal_pos_embds:
            weight = module.position_embeddings.weight
            weight.data.copy_(sinusoidal_positions(*weight.shape))


@trusted_forward  # its `forward` is `EncoderModel`'s in the reference's argument order
class DistilBertModel(blocks.EncoderModel, DistilBertPreTrainedModel):
    """The encoder: embeddings and the transformer stack (no pooler, no token types)."""

    embeddings_class = Embeddings
    encoder_class = Transformer
    encoder_attribute = "transformer"
    pooler_class = None
    base_output_class = BaseModelOutput

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BaseModelOutput | tuple:
        """The reference's argument order (no token types, positions or cache)."""
        return super().forward(
            input_ids,
            attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


class DistilBertForMaskedLM(MaskedLMHead, DistilBertPreTrainedModel):
    """Predicts masked tokens; `vocab_projector` shares the input embedding matrix."""

    base_model_class = DistilBertModel
    tied_weights = {"vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"}
    output_embeddings_attribute = "vocab_projector"

    def build_head(self, config: DistilBertConfig) -> None:
        self.activation = activation_fn(config.activation)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        hidden = self.activation(self.vocab_transform(hidden))
        return self.vocab_projector(self.vocab_layer_norm(hidden))


class _FirstTokenClassifier:
    """DistilBERT's sentence heads: first token -> `pre_classifier` -> ReLU -> classifier."""

    base_model_class = DistilBertModel
    head_input = "first_token"
    dropout_fields = ("seq_classif_dropout",)

    def build_head(self, config: DistilBertConfig) -> None:
        super().build_head(config)  # type: ignore[misc]
        self.pre_classifier = nn.Linear(config.dim, config.dim)

    def head_features(self, features: torch.Tensor, parts: Any = None) -> torch.Tensor:
        return F.relu((self._modules if parts is None else parts)["pre_classifier"](features))


class DistilBertForSequenceClassification(
    _FirstTokenClassifier, SequenceClassificationHead, DistilBertPreTrainedModel
):
    """Classifies (or regresses) the sequence from its first token."""


class DistilBertForMultipleChoice(
    _FirstTokenClassifier, MultipleChoiceHead, DistilBertPreTrainedModel
):
    """Scores each of `num_choices` candidates from their first tokens."""


class DistilBertForTokenClassification(TokenClassificationHead, DistilBertPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = DistilBertModel
    dropout_fields = ("dropout",)


class DistilBertForQuestionAnswering(QuestionAnsweringHead, DistilBertPreTrainedModel):
    """Extractive QA: start and end logits for every token (`num_labels` must be 2)."""

    base_model_class = DistilBertModel
    dropout_fields = ("qa_dropout",)
    requires_two_labels = True
