"""DistilBERT in PyTorch, with the reference's parameter names so Hub checkpoints load unchanged.

Read top to bottom: embeddings (no token types), self-attention, feed-forward, block, the
`Transformer` stack, the base `DistilBertModel`, then one class per head. DistilBERT is BERT
with half the layers, no pooler and no token-type embeddings; its sentence heads pool the first
token through `pre_classifier` and a ReLU instead.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    MaskedLMOutput,
    MultipleChoiceModelOutput,
    QuestionAnsweringModelOutput,
    SequenceClassifierOutput,
    TokenClassifierOutput,
)
from tfx_core.modeling.torch import PreTrainedModel, attention, get_activation, padding_mask
from tfx_core.modeling.torch.losses import (
    sequence_classification_loss,
    span_loss,
    token_classification_loss,
)
from tfx_plugin_distilbert.configuration_distilbert import DistilBertConfig

LAYER_NORM_EPS = 1e-12  # fixed in DistilBERT (not a config field)


def sinusoidal_positions(positions: int, dim: int) -> torch.Tensor:
    """The fixed sin/cos position table of `sinusoidal_pos_embds=True` checkpoints."""
    position = torch.arange(positions, dtype=torch.float64)[:, None]
    exponent = 2 * (torch.arange(dim) // 2) / dim
    angles = position / torch.pow(10000.0, exponent.to(torch.float64))
    table = torch.empty(positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles[:, 0::2])
    table[:, 1::2] = torch.cos(angles[:, 1::2])
    return table.float()


class Embeddings(nn.Module):
    """Token + position embeddings, then layer norm and dropout."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.dim, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.dim)
        self.LayerNorm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None = None
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        length = inputs_embeds.shape[1]
        positions = self.position_embeddings.weight[:length]
        return self.dropout(self.LayerNorm(inputs_embeds + positions))


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention (`q_lin`, `k_lin`, `v_lin`, `out_lin`) on the core primitive."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.head_dim = config.dim // config.n_heads
        self.q_lin = nn.Linear(config.dim, config.dim)
        self.k_lin = nn.Linear(config.dim, config.dim)
        self.v_lin = nn.Linear(config.dim, config.dim)
        self.out_lin = nn.Linear(config.dim, config.dim)
        self.dropout_p = config.attention_dropout

    def _split_heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, _ = x.shape
        return x.view(batch, length, self.n_heads, self.head_dim).transpose(1, 2)

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = attention(
            self._split_heads(self.q_lin(hidden_states)),
            self._split_heads(self.k_lin(hidden_states)),
            self._split_heads(self.v_lin(hidden_states)),
            attention_mask=mask,
            dropout_p=self.dropout_p if self.training else 0.0,
            scale=1.0 / math.sqrt(self.head_dim),
            output_attentions=output_attentions,
            implementation=implementation,
        )
        batch, _, length, _ = context.shape
        return self.out_lin(context.transpose(1, 2).reshape(batch, length, -1)), weights


class FFN(nn.Module):
    """Position-wise feed-forward: `lin1`, activation, `lin2`, dropout."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.lin1 = nn.Linear(config.dim, config.hidden_dim)
        self.lin2 = nn.Linear(config.hidden_dim, config.dim)
        self.activation = get_activation(config.activation)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.lin2(self.activation(self.lin1(hidden_states))))


class TransformerBlock(nn.Module):
    """Post-norm block: norm(x + attn(x)), then norm(. + ffn(.))."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.attention = MultiHeadSelfAttention(config)
        self.sa_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)
        self.ffn = FFN(config)
        self.output_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(hidden_states, mask, output_attentions, implementation)
        attended = self.sa_layer_norm(attended + hidden_states)
        return self.output_layer_norm(self.ffn(attended) + attended), weights


class Transformer(nn.Module):
    """The stack of `n_layers` blocks."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(TransformerBlock(config) for _ in range(config.n_layers))

    def forward(
        self,
        hidden_states: torch.Tensor,
        mask: torch.Tensor | None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> BaseModelOutput:
        all_hidden: list[torch.Tensor] = []
        all_attentions: list[torch.Tensor] = []
        for layer in self.layer:
            if output_hidden_states:
                all_hidden.append(hidden_states)
            hidden_states, weights = layer(hidden_states, mask, output_attentions, implementation)
            if output_attentions:
                all_attentions.append(weights)
        if output_hidden_states:
            all_hidden.append(hidden_states)
        return BaseModelOutput(
            last_hidden_state=hidden_states,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_attentions) if output_attentions else None,
        )


class DistilBertPreTrainedModel(PreTrainedModel):
    """Loading rules and weight initialisation shared by the base model and every head."""

    config_class = DistilBertConfig
    base_model_prefix = "distilbert"
    # older checkpoints saved the position-id buffer; it is derived, not a weight
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        std = self.config.initializer_range
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, Embeddings) and self.config.sinusoidal_pos_embds:
            weight = module.position_embeddings.weight
            weight.data.copy_(sinusoidal_positions(*weight.shape))

    def _return_dict(self, value: bool | None) -> bool:
        """`return_dict=None` means the config's choice (True unless set otherwise)."""
        return self.config.return_dict if value is None else value


class DistilBertModel(DistilBertPreTrainedModel):
    """The encoder: embeddings and the transformer stack (no pooler)."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.embeddings = Embeddings(config)
        self.transformer = Transformer(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

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
        config = self.config
        if head_mask is not None:
            raise NotImplementedError("tfx's DistilBERT does not implement head_mask; drop it.")
        output_attentions = (
            config.output_attentions if output_attentions is None else output_attentions
        )
        output_hidden_states = (
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("Pass exactly one of input_ids or inputs_embeds.")
        hidden_states = self.embeddings(input_ids, inputs_embeds)
        mask = padding_mask(attention_mask, hidden_states.dtype)
        implementation = "eager" if output_attentions else (config.attn_implementation or "sdpa")
        output = self.transformer(
            hidden_states, mask, output_attentions, output_hidden_states, implementation
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


def _flat(tensor: torch.Tensor | None) -> torch.Tensor | None:
    """`[batch, choices, ...]` -> `[batch * choices, ...]` (multiple choice)."""
    return None if tensor is None else tensor.reshape(-1, *tensor.shape[2:])


class DistilBertForMaskedLM(DistilBertPreTrainedModel):
    """Predicts masked tokens; `vocab_projector` shares the input embedding matrix."""

    tied_weights: ClassVar[dict[str, str]] = {
        "vocab_projector.weight": "distilbert.embeddings.word_embeddings.weight"
    }

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.activation = get_activation(config.activation)
        self.distilbert = DistilBertModel(config)
        self.vocab_transform = nn.Linear(config.dim, config.dim)
        self.vocab_layer_norm = nn.LayerNorm(config.dim, eps=LAYER_NORM_EPS)
        self.vocab_projector = nn.Linear(config.dim, config.vocab_size)
        self.post_init()

    def get_output_embeddings(self) -> nn.Linear:
        return self.vocab_projector

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MaskedLMOutput | tuple:
        """`labels` (-100 = not masked) give the masked-LM cross-entropy."""
        outputs = self.distilbert(
            input_ids,
            attention_mask=attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden = self.activation(self.vocab_transform(outputs.last_hidden_state))
        logits = self.vocab_projector(self.vocab_layer_norm(hidden))
        loss = None
        if labels is not None:
            loss = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1))
        output = MaskedLMOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class DistilBertForSequenceClassification(DistilBertPreTrainedModel):
    """Classifies (or regresses) the sequence from its first token: pre_classifier, ReLU, classifier."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        outputs = self.distilbert(
            input_ids,
            attention_mask=attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        pooled = F.relu(self.pre_classifier(outputs.last_hidden_state[:, 0]))
        logits = self.classifier(self.dropout(pooled))
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        output = SequenceClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class DistilBertForTokenClassification(DistilBertPreTrainedModel):
    """Labels every token (named entities, parts of speech)."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.distilbert = DistilBertModel(config)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.dim, config.num_labels)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> TokenClassifierOutput | tuple:
        outputs = self.distilbert(
            input_ids,
            attention_mask=attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        loss = None
        if labels is not None:
            loss = token_classification_loss(logits, labels)
        output = TokenClassifierOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class DistilBertForQuestionAnswering(DistilBertPreTrainedModel):
    """Extractive QA: a start and an end logit for every token (`num_labels` must be 2)."""

    def __init__(self, config: DistilBertConfig) -> None:
        if config.num_labels != 2:
            raise ConfigError(
                f"DistilBertForQuestionAnswering needs num_labels=2 (start, end), got "
                f"{config.num_labels}."
            )
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.qa_outputs = nn.Linear(config.dim, config.num_labels)
        self.dropout = nn.Dropout(config.qa_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        start_positions: torch.Tensor | None = None,
        end_positions: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> QuestionAnsweringModelOutput | tuple:
        outputs = self.distilbert(
            input_ids,
            attention_mask=attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        logits = self.qa_outputs(self.dropout(outputs.last_hidden_state))
        start_logits, end_logits = (t.contiguous() for t in logits.unbind(-1))
        loss = None
        if start_positions is not None and end_positions is not None:
            loss = span_loss(start_logits, end_logits, start_positions, end_positions)
        output = QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()


class DistilBertForMultipleChoice(DistilBertPreTrainedModel):
    """Scores each of `choices` continuations; inputs are `[batch, choices, length]`."""

    def __init__(self, config: DistilBertConfig) -> None:
        super().__init__(config)
        self.distilbert = DistilBertModel(config)
        self.pre_classifier = nn.Linear(config.dim, config.dim)
        self.classifier = nn.Linear(config.dim, 1)
        self.dropout = nn.Dropout(config.seq_classif_dropout)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> MultipleChoiceModelOutput | tuple:
        choices = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        outputs = self.distilbert(
            _flat(input_ids),
            attention_mask=_flat(attention_mask),
            head_mask=head_mask,
            inputs_embeds=_flat(inputs_embeds),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        pooled = F.relu(self.pre_classifier(outputs.last_hidden_state[:, 0]))
        logits = self.classifier(self.dropout(pooled)).view(-1, choices)
        loss = F.cross_entropy(logits, labels) if labels is not None else None
        output = MultipleChoiceModelOutput(
            loss=loss,
            logits=logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return output if self._return_dict(return_dict) else output.to_tuple()
