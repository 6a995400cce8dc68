"""DeBERTa-family base-model body and task heads, written once for DeBERTa and DeBERTa-v2.

Both versions have the same two masked-LM layouts (`config.legacy`: BERT's `cls.predictions`,
else `lm_predictions.lm_head` reading the word embeddings) and the same sequence classifier (a
`ContextPooler` on the first token, DeBERTa's loss). A plugin subclasses these with its
`base_model_class`; the base model lives at `self.deberta` in both.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.disentangled import (
    ContextPooler,
    classification_loss,
    pair_bias,
)
from tfx_core.modeling.torch.blocks.encoder_heads import LMPredictionHead
from tfx_core.modeling.torch.heads import MaskedLMHead, SequenceClassificationHead

__all__ = [
    "DisentangledMaskedLMHead",
    "DisentangledModel",
    "DisentangledSequenceClassificationHead",
    "LegacyMLMHead",
    "WordEmbeddingMLMHead",
    "WordEmbeddingPrediction",
]


class DisentangledModel:
    """The base model's body: `embeddings`, then the disentangled-attention `encoder` (no pooler).

    A plugin's base model lists this before its PreTrainedModel and names `embeddings_class` and
    `encoder_class`; `encoder_takes_mask` passes the padding mask on to encoders that use it
    (DeBERTa-v2's convolution) besides the attention bias.
    """

    embeddings_class: ClassVar[type[nn.Module]]
    encoder_class: ClassVar[type[nn.Module]]
    encoder_takes_mask: ClassVar[bool] = False

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.embeddings = self.embeddings_class(config)
        self.encoder = self.encoder_class(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings.word_embeddings = value

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        output_attentions, output_hidden_states = self.output_flags(
            output_attentions, output_hidden_states
        )
        hidden = self.embeddings(
            input_ids, token_type_ids, position_ids, attention_mask, inputs_embeds
        )
        bias = pair_bias(attention_mask, hidden.dtype)
        masks = (attention_mask if bias is not None else None,) if self.encoder_takes_mask else ()
        hidden, all_hidden, all_weights = self.encoder(
            hidden,
            bias,
            *masks,
            output_attentions,
            output_hidden_states,
            self.config.attn_implementation or "sdpa",
        )
        outputs = BaseModelOutput(
            last_hidden_state=hidden, hidden_states=all_hidden, attentions=all_weights
        )
        return self.model_outputs(outputs, return_dict)


class LegacyMLMHead(nn.Module):
    """`cls.predictions` (the `legacy` layout): transform, then `decoder` tied to the embeddings."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        width = getattr(config, "embedding_size", None) or config.hidden_size
        self.predictions = LMPredictionHead(config, width)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.predictions(hidden_states)


class WordEmbeddingPrediction(nn.Module):
    """`dense`, act, `LayerNorm`, then the word embeddings (passed in) and `bias`."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation_fn(config.hidden_act)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden_states: torch.Tensor, word_embeddings: nn.Embedding) -> torch.Tensor:
        hidden = self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))
        return torch.matmul(hidden, word_embeddings.weight.t()) + self.bias


class WordEmbeddingMLMHead(nn.Module):
    """`lm_predictions.lm_head` (the current layout, `legacy=False`)."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.lm_head = WordEmbeddingPrediction(config)

    def forward(self, hidden_states: torch.Tensor, word_embeddings: nn.Embedding) -> torch.Tensor:
        return self.lm_head(hidden_states, word_embeddings)


class DisentangledMaskedLMHead(MaskedLMHead):
    """Predicts masked tokens (`fill-mask`); `config.legacy` picks the head layout."""

    tied_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "deberta.embeddings.word_embeddings.weight"
    }
    shared_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.bias": "cls.predictions.bias"
    }

    def build_head(self, config: Any) -> None:
        if config.legacy:
            self.cls = LegacyMLMHead(config)
        else:
            self.lm_predictions = WordEmbeddingMLMHead(config)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.config.legacy:
            return self.cls(hidden)
        return self.lm_predictions(hidden, self.deberta.embeddings.word_embeddings)

    def get_output_embeddings(self) -> nn.Module | None:
        """The vocabulary projection (`legacy`); the current head reads the word embeddings."""
        return self.cls.predictions.decoder if self.config.legacy else None


class DisentangledSequenceClassificationHead(SequenceClassificationHead):
    """Classification or regression of a text (pair): `pooler` (first token), `classifier`."""

    head_input = "sequence"
    dropout_fields = ("cls_dropout", "hidden_dropout_prob")

    def build_head(self, config: Any) -> None:
        self.pooler = ContextPooler(config)
        super().build_head(config)

    def head_features(self, features: torch.Tensor) -> torch.Tensor:
        return self.pooler(features)

    def forward(
        self,
        *args: Any,
        labels: torch.Tensor | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(args, kwargs, {})
        logits = self.classify(base.last_hidden_state)
        loss = None
        if labels is not None:
            if self.config.problem_type is None and self.num_labels == 1:
                logits = logits.view(-1).to(labels.dtype)  # as the reference returns them
            loss = classification_loss(logits, labels, self.config)
        return self.finish(return_dict, base, loss=loss, logits=logits)
