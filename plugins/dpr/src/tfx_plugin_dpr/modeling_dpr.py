"""DPR in PyTorch: dense passage retrieval's two encoders and its extractive reader.

DPR (Karpukhin et al., 2020) embeds questions and passages with two BERT encoders: the
embedding is the `[CLS]` hidden state, optionally projected (`encode_proj`, when
`projection_dim` > 0). The reader scores each retrieved passage (`qa_classifier` on `[CLS]`)
and the answer span in it (`qa_outputs`). Module names are the reference's, so the Hub
checkpoints load unchanged: `ctx_encoder.bert_model.*`, `question_encoder.bert_model.*`,
`span_predictor.encoder.bert_model.*`. The BERT inside is the core's standard encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPooling, ModelOutput
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_plugin_dpr.configuration_dpr import DPRConfig


# The BERT inside every DPR model: the core's post-norm tree under the reference's names.
class BertEmbeddings(blocks.EncoderEmbeddings):
    """Word + position + token-type embeddings, then layer norm and dropout."""


class BertSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention (`query`, `key`, `value`)."""


class BertSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class BertAttention(blocks.Attention):
    self_class = BertSelfAttention
    output_class = BertSelfOutput


class BertIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation (`hidden_act`)."""


class BertOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class BertLayer(blocks.EncoderLayer):
    attention_class = BertAttention
    intermediate_class = BertIntermediate
    output_class = BertOutput


class BertEncoder(blocks.Encoder):
    layer_class = BertLayer


# ---------------------------------------------------------------------------- outputs
@dataclass(repr=False, eq=False)
class DPRContextEncoderOutput(ModelOutput):
    pooler_output: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class DPRQuestionEncoderOutput(ModelOutput):
    pooler_output: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


@dataclass(repr=False, eq=False)
class DPRReaderOutput(ModelOutput):
    start_logits: Any = None
    end_logits: Any = None
    relevance_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
class DPRPreTrainedModel(PreTrainedModel):
    """Loading rules shared by the DPR classes (weight init is the core's default)."""

    config_class = DPRConfig
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class BertModel(blocks.EncoderModel, DPRPreTrainedModel):
    """BERT without its pooler: what each DPR encoder holds as `bert_model`."""

    base_model_prefix = "bert_model"
    embeddings_class = BertEmbeddings
    encoder_class = BertEncoder
    pooler_class = None


class DPREncoder(DPRPreTrainedModel):
    """`bert_model`, and the embedding: the `[CLS]` state, through `encode_proj` if any."""

    base_model_prefix = "bert_model"

    def __init__(self, config: DPRConfig) -> None:
        super().__init__(config)
        self.bert_model = BertModel(config)
        self.projection_dim = config.projection_dim
        if self.projection_dim > 0:
            self.encode_proj = nn.Linear(config.hidden_size, config.projection_dim)
        self.post_init()

    @property
    def embeddings_size(self) -> int:
        return self.projection_dim or self.config.hidden_size

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.bert_model(
            input_ids,
            attention_mask,
            token_type_ids,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        pooled = outputs.last_hidden_state[:, 0]
        if self.projection_dim > 0:
            pooled = self.encode_proj(pooled)
        result = BaseModelOutputWithPooling(
            last_hidden_state=outputs.last_hidden_state,
            pooler_output=pooled,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.model_outputs(result, return_dict)


class DPRSpanPredictor(DPRPreTrainedModel):
    """The reader's layers: `encoder`, span logits (`qa_outputs`), passage score (`qa_classifier`)."""

    base_model_prefix = "encoder"

    def __init__(self, config: DPRConfig) -> None:
        super().__init__(config)
        if config.projection_dim not in (0, config.hidden_size):
            raise ConfigError(
                f"DPRReader reads the hidden states (hidden_size {config.hidden_size}) with layers "
                f"sized by projection_dim ({config.projection_dim}): set projection_dim to 0."
            )
        self.encoder = DPREncoder(config)
        self.qa_outputs = nn.Linear(self.encoder.embeddings_size, 2)
        self.qa_classifier = nn.Linear(self.encoder.embeddings_size, 1)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.encoder(
            input_ids,
            attention_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        hidden = outputs.last_hidden_state
        start_logits, end_logits = self.qa_outputs(hidden).unbind(-1)
        result = DPRReaderOutput(
            start_logits=start_logits.contiguous(),
            end_logits=end_logits.contiguous(),
            relevance_logits=self.qa_classifier(hidden[:, 0]).squeeze(-1),
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.model_outputs(result, return_dict)


class _DPRBiEncoder(DPRPreTrainedModel):
    """One side of the bi-encoder: a `DPREncoder` at `base_model_prefix`, its `[CLS]` embedding
    as `pooler_output`. Without an attention mask, padding ids are masked (as the reference)."""

    output_class: ClassVar[type[ModelOutput]]

    def __init__(self, config: DPRConfig) -> None:
        super().__init__(config)
        setattr(self, self.base_model_prefix, DPREncoder(config))
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.base_model.bert_model.embeddings.word_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        if attention_mask is None and input_ids is not None:
            attention_mask = input_ids.ne(self.config.pad_token_id).long()
        outputs = self.base_model(
            input_ids,
            attention_mask,
            token_type_ids,
            inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        result = self.output_class(
            pooler_output=outputs.pooler_output,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )
        return self.model_outputs(result, return_dict)


class DPRContextEncoder(_DPRBiEncoder):
    """Embeds passages (title [SEP] text) for nearest-neighbour search against questions."""

    base_model_prefix = "ctx_encoder"
    output_class = DPRContextEncoderOutput


class DPRQuestionEncoder(_DPRBiEncoder):
    """Embeds questions; score a passage by the dot product with its context embedding."""

    base_model_prefix = "question_encoder"
    output_class = DPRQuestionEncoderOutput


class DPRReader(DPRPreTrainedModel):
    """Reads `[CLS] question [SEP] title [SEP] text` rows (one per passage): span start/end
    logits and each passage's relevance; `DPRReaderTokenizer.decode_best_spans` picks answers."""

    base_model_prefix = "span_predictor"

    def __init__(self, config: DPRConfig) -> None:
        super().__init__(config)
        self.span_predictor = DPRSpanPredictor(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.span_predictor.encoder.bert_model.embeddings.word_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        return self.span_predictor(
            input_ids,
            attention_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )
