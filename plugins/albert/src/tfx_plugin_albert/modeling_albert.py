"""ALBERT in PyTorch, with the reference's class and parameter names so Hub checkpoints load.

ALBERT is BERT made small two ways: factorized embeddings (width `embedding_size`, mapped to
`hidden_size` by `encoder.embedding_hidden_mapping_in`) and layers shared across depth: the
encoder holds `num_hidden_groups` groups of `inner_group_num` layers
(`encoder.albert_layer_groups.G.albert_layers.I`), and layer `i` of `num_hidden_layers` runs
group `i * num_hidden_groups // num_hidden_layers`. Its layer has its own names (attention
output `dense`/`LayerNorm` inside `attention`; `ffn`, `ffn_output`, `full_layer_layer_norm`),
so it is written here on the core's block math; its `lean_layout` lets the core's lean encoder
path run it. Read top to bottom: embeddings, attention, layer, groups and the shared stack, the
pooler and pretraining heads, `AlbertModel`, then one class per task head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from tfx_core.modeling.outputs import ModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks import LeanLayout, LeanPostNormEncoder
from tfx_core.modeling.torch.blocks.functional import activated, residual_norm
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    MultipleChoiceHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TaskHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.losses import token_classification_loss
from tfx_plugin_albert.configuration_albert import AlbertConfig


class AlbertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings of width `embedding_size`, norm, dropout."""


@trusted_forward
class AlbertAttention(blocks.SelfAttention):
    """Self-attention (`query`, `key`, `value`) and its output `dense`, dropout, `LayerNorm`."""

    def __init__(self, config: AlbertConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.output_dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = super().forward(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        dropout = self.output_dropout if self.training else None
        return residual_norm(context, hidden_states, self.dense, self.LayerNorm, dropout), weights


@trusted_forward
class AlbertLayer(nn.Module):
    """Post-norm layer: attention (with its residual norm), then `ffn`, `ffn_output` + norm."""

    lean_layout: ClassVar[LeanLayout] = LeanLayout(
        attention="attention",
        heads="num_attention_heads",
        attention_output="attention.dense",
        attention_norm="attention.LayerNorm",
        intermediate="ffn",
        activation="activation",
        output="ffn_output",
        output_norm="full_layer_layer_norm",
    )

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.full_layer_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.attention = AlbertAttention(config)
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.activation = activation_fn(config.hidden_act)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states, bias, is_causal, cache, head_mask, output_attentions, implementation
        )
        inner = activated(attended, self.ffn, self.activation)
        return residual_norm(inner, attended, self.ffn_output, self.full_layer_layer_norm), weights


@trusted_forward
class AlbertLayerGroup(nn.Module):
    """`inner_group_num` layers run in turn each time the group is used."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.albert_layers = nn.ModuleList(
            AlbertLayer(config) for _ in range(config.inner_group_num)
        )


@trusted_forward
class AlbertTransformer(LeanPostNormEncoder):
    """`embedding_hidden_mapping_in`, then `num_hidden_layers` uses of the shared groups.

    `layer` is the sequence of layers as they run (the same modules repeated), so the core's
    stack runs it, lean at inference. As in the reference, the layer at position `j` of a group
    reads head mask `group * layers_per_group + j`, and hidden states are recorded once per
    group use.
    """

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.num_hidden_layers = config.num_hidden_layers
        self.num_hidden_groups = config.num_hidden_groups
        self.embedding_hidden_mapping_in = nn.Linear(config.embedding_size, config.hidden_size)
        self.albert_layer_groups = nn.ModuleList(
            AlbertLayerGroup(config) for _ in range(config.num_hidden_groups)
        )

    def group_of(self, index: int) -> int:
        return index * self.num_hidden_groups // self.num_hidden_layers

    @property
    def layer(self) -> list[nn.Module]:  # type: ignore[override]
        return [
            albert_layer
            for i in range(self.num_hidden_layers)
            for albert_layer in self.albert_layer_groups[self.group_of(i)].albert_layers
        ]

    def _head_masks(self, head_mask: list[torch.Tensor | None] | None) -> list | None:
        if head_mask is None:
            return None
        per_group = self.num_hidden_layers // self.num_hidden_groups
        masks = []
        for i in range(self.num_hidden_layers):
            start = self.group_of(i) * per_group
            inner = len(self.albert_layer_groups[self.group_of(i)].albert_layers)
            masks += [head_mask[start + j] if j < per_group else None for j in range(inner)]
        return masks

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        head_mask: list[torch.Tensor | None] | None = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, tuple | None, tuple | None]:
        hidden_states = self.embedding_hidden_mapping_in(hidden_states)
        hidden, all_hidden, all_weights = super().forward(
            hidden_states,
            bias,
            is_causal,
            cache,
            self._head_masks(head_mask),
            output_attentions,
            output_hidden_states,
            implementation,
        )
        inner = len(self.albert_layer_groups[0].albert_layers)
        if all_hidden is not None and inner > 1:  # once per group use, not per inner layer
            all_hidden = all_hidden[::inner]
        return hidden, all_hidden, all_weights


class AlbertPooler(nn.Linear):
    """`pooler`: tanh of a dense layer over the first token (`pooler_activation` in the reference)."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__(config.hidden_size, config.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return torch.tanh(super().forward(hidden_states[:, 0]))


class AlbertMLMHead(nn.Module):
    """dense to `embedding_size`, activation, `LayerNorm`, then `decoder` (bias shared, tied)."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.LayerNorm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.decoder = nn.Linear(config.embedding_size, config.vocab_size)
        self.decoder.bias = self.bias
        self.activation = activation_fn(config.hidden_act)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.LayerNorm(self.activation(self.dense(hidden_states))))


class AlbertSOPHead(nn.Module):
    """Sentence-order prediction from the pooled output: dropout, `classifier`."""

    def __init__(self, config: AlbertConfig) -> None:
        super().__init__()
        self.dropout = nn.Dropout(_classifier_dropout(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)

    def forward(self, pooled_output: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(pooled_output))


def _classifier_dropout(config: AlbertConfig) -> float:
    value = config.classifier_dropout_prob
    return config.hidden_dropout_prob if value is None else value


@dataclass(repr=False, eq=False)
class AlbertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    sop_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}
_NO_POOLER_KEYS = [r"(^|\.)pooler\.", r"(^|\.)embeddings\.position_ids$"]
_MLM_TIES = {"predictions.decoder.weight": "albert.embeddings.word_embeddings.weight"}
_MLM_BIAS = {"predictions.decoder.bias": "predictions.bias"}
_DROPOUT = ("classifier_dropout_prob", "hidden_dropout_prob")


class AlbertPreTrainedModel(PreTrainedModel):
    """Loading rules and weight init shared by every ALBERT class."""

    config_class = AlbertConfig
    base_model_prefix = "albert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, AlbertMLMHead):
            module.bias.data.zero_()


class AlbertModel(blocks.EncoderModel, AlbertPreTrainedModel):
    """Embeddings, the shared-layer encoder and the `pooler` (optional)."""

    embeddings_class = AlbertEmbeddings
    encoder_class = AlbertTransformer
    pooler_class = AlbertPooler


class AlbertForPreTraining(TaskHead, AlbertPreTrainedModel):
    """Masked-LM `predictions` and the sentence-order `sop_classifier`."""

    base_model_class = AlbertModel
    output_class = AlbertForPreTrainingOutput
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_BIAS

    def build_head(self, config: AlbertConfig) -> None:
        self.predictions = AlbertMLMHead(config)
        self.sop_classifier = AlbertSOPHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.predictions.decoder

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        sentence_order_label: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        prediction_logits = self.predictions(base.last_hidden_state)
        sop_logits = self.sop_classifier(base.pooler_output)
        loss = None
        if labels is not None and sentence_order_label is not None:
            loss = token_classification_loss(prediction_logits, labels) + F.cross_entropy(
                sop_logits.view(-1, 2), sentence_order_label.view(-1)
            )
        return self.finish(
            return_dict, base, loss=loss, prediction_logits=prediction_logits, sop_logits=sop_logits
        )


class AlbertForMaskedLM(MaskedLMHead, AlbertPreTrainedModel):
    """Predicts masked tokens over the vocabulary (`fill-mask`); label -100 is ignored."""

    base_model_class = AlbertModel
    base_model_kwargs = _WITHOUT_POOLER
    lm_head_attribute = "predictions"
    tied_weights: ClassVar[dict[str, str]] = _MLM_TIES
    shared_weights: ClassVar[dict[str, str]] = _MLM_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS

    def build_head(self, config: AlbertConfig) -> None:
        self.predictions = AlbertMLMHead(config)

    def get_output_embeddings(self) -> nn.Linear:
        return self.predictions.decoder


class AlbertForSequenceClassification(SequenceClassificationHead, AlbertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = AlbertModel
    dropout_fields = _DROPOUT


class AlbertForTokenClassification(TokenClassificationHead, AlbertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = AlbertModel
    base_model_kwargs = _WITHOUT_POOLER
    dropout_fields = _DROPOUT
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS


class AlbertForQuestionAnswering(QuestionAnsweringHead, AlbertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = AlbertModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER_KEYS


class AlbertForMultipleChoice(MultipleChoiceHead, AlbertPreTrainedModel):
    """Scores each of `num_choices` text pairs from the pooled output."""

    base_model_class = AlbertModel
    dropout_fields = _DROPOUT
