"""LayoutLM in PyTorch: BERT's encoder reading text and where each token sits on the page.

LayoutLM (Xu et al., 2020) is BERT with 2-D position embeddings: every token has a bounding box
`(x0, y0, x1, y1)` normalized to 0 ... 1000, and the embeddings of its corners (`x_`/`y_`
tables) and of its height and width (`h_`/`w_` tables) are added to the word embeddings. The
rest is the core's standard post-norm encoder under LayoutLM's class names, BERT's masked-LM head
(`cls.predictions`), and the generic task heads; every model takes `bbox` as its second input,
as the reference does (missing boxes are all zeros).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.heads import (
    MaskedLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_plugin_layoutlm.configuration_layoutlm import LayoutLMConfig


class LayoutLMEmbeddings(blocks.EncoderEmbeddings):
    """BERT's embeddings plus the 2-D layout tables of each token's bounding box."""

    def __init__(self, config: LayoutLMConfig) -> None:
        super().__init__(config)
        tables = config.max_2d_position_embeddings
        self.max_2d_positions = tables
        self.x_position_embeddings = nn.Embedding(tables, config.hidden_size)
        self.y_position_embeddings = nn.Embedding(tables, config.hidden_size)
        self.h_position_embeddings = nn.Embedding(tables, config.hidden_size)
        self.w_position_embeddings = nn.Embedding(tables, config.hidden_size)

    def layout_embeds(self, bbox: torch.Tensor) -> torch.Tensor:
        """Left, upper, right, lower, height and width embeddings of `bbox` `[..., 4]`, summed."""
        x0, y0, x1, y1 = bbox.unbind(-1)
        height, width = y1 - y0, x1 - x0
        if bbox.numel() and (
            min(bbox.min(), height.min(), width.min()) < 0 or bbox.max() >= self.max_2d_positions
        ):
            raise ConfigError(
                f"bbox coordinates must be integers in 0 ... {self.max_2d_positions - 1} with "
                "x0 <= x1 and y0 <= y1 (boxes normalized to the page, 0 ... 1000); normalize "
                "them as (1000 * x / page_width, 1000 * y / page_height)."
            )
        x, y = self.x_position_embeddings, self.y_position_embeddings
        return (
            x(x0) + y(y0) + x(x1) + y(y1) + self.h_position_embeddings(height)
        ) + self.w_position_embeddings(width)


# The encoder: the core's post-norm tree under LayoutLM's class names.
class LayoutLMSelfAttention(blocks.SelfAttention):
    """Multi-head self-attention over `query`, `key`, `value` projections."""


class LayoutLMSelfOutput(blocks.SelfOutput):
    """Attention output projection (`dense`), dropout, residual add and `LayerNorm`."""


class LayoutLMAttention(blocks.Attention):
    self_class = LayoutLMSelfAttention
    output_class = LayoutLMSelfOutput


class LayoutLMIntermediate(blocks.Intermediate):
    """First feed-forward projection (`dense`) and the activation (`hidden_act`)."""


class LayoutLMOutput(blocks.Output):
    """Second feed-forward projection (`dense`), dropout, residual add and `LayerNorm`."""


class LayoutLMLayer(blocks.EncoderLayer):
    """One post-norm layer: `attention`, then `intermediate` and `output` (feed-forward)."""

    attention_class = LayoutLMAttention
    intermediate_class = LayoutLMIntermediate
    output_class = LayoutLMOutput


class LayoutLMEncoder(blocks.Encoder):
    """`num_hidden_layers` layers in `layer`; runs them lean at inference when nothing observes."""

    layer_class = LayoutLMLayer


class LayoutLMPooler(blocks.Pooler):
    """tanh(dense(first token)): the page summary the sequence classifier reads."""


class LayoutLMPredictionHeadTransform(blocks.PredictionHeadTransform):
    """dense -> `hidden_act` -> `LayerNorm`, before the vocabulary projection."""


class LayoutLMLMPredictionHead(blocks.LMPredictionHead):
    """Transform, then the vocabulary projection (tied to the word embeddings; bias shared)."""

    transform_class = LayoutLMPredictionHeadTransform


class LayoutLMOnlyMLMHead(blocks.OnlyMLMHead):
    prediction_class = LayoutLMLMPredictionHead


# ---------------------------------------------------------------------------- models
class LayoutLMPreTrainedModel(PreTrainedModel):
    """Loading rules shared by every LayoutLM class (weight init is the core's default)."""

    config_class = LayoutLMConfig
    base_model_prefix = "layoutlm"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, LayoutLMLMPredictionHead):
            module.bias.data.zero_()


class LayoutLMModel(blocks.EncoderModel, LayoutLMPreTrainedModel):
    """The encoder over text and layout: `embeddings`, `encoder` and `pooler`."""

    embeddings_class = LayoutLMEmbeddings
    encoder_class = LayoutLMEncoder
    pooler_class = LayoutLMPooler

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        bbox: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        """BERT's forward with `bbox` `[batch, length, 4]`: its layout embeddings join the words'."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        if inputs_embeds is None:
            inputs_embeds = self.embeddings.word_embeddings(input_ids)
        if bbox is not None:
            if bbox.shape != (*inputs_embeds.shape[:-1], 4):
                raise ConfigError(
                    f"bbox has shape {tuple(bbox.shape)}; LayoutLM takes one box (x0, y0, x1, "
                    f"y1) per token: [batch, length, 4] = {(*inputs_embeds.shape[:-1], 4)}."
                )
            inputs_embeds = inputs_embeds + self.embeddings.layout_embeds(bbox)
        else:  # no boxes: every coordinate is 0, as in the reference
            inputs_embeds = inputs_embeds + self.embeddings.layout_embeds(
                torch.zeros(4, dtype=torch.long, device=inputs_embeds.device)
            )
        return super().forward(
            None, attention_mask, token_type_ids, position_ids, head_mask, inputs_embeds, **kwargs
        )


class LayoutLMForMaskedLM(MaskedLMHead, LayoutLMPreTrainedModel):
    """Predicts masked tokens from text and layout (`cls.predictions`, tied to the embeddings)."""

    base_model_class = LayoutLMModel
    lm_head_attribute = "cls"
    tied_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.weight": "layoutlm.embeddings.word_embeddings.weight"
    }
    shared_weights: ClassVar[dict[str, str]] = {
        "cls.predictions.decoder.bias": "cls.predictions.bias"
    }
    output_embeddings_attribute = "cls.predictions.decoder"

    def build_head(self, config: LayoutLMConfig) -> None:
        self.cls = LayoutLMOnlyMLMHead(config)


class LayoutLMForSequenceClassification(SequenceClassificationHead, LayoutLMPreTrainedModel):
    """Document classification (or regression) from the pooled output."""

    base_model_class = LayoutLMModel
    dropout_fields = ("hidden_dropout_prob",)


class LayoutLMForTokenClassification(TokenClassificationHead, LayoutLMPreTrainedModel):
    """One label per token (form fields, receipt entities); label -100 is ignored."""

    base_model_class = LayoutLMModel
    dropout_fields = ("hidden_dropout_prob",)


class LayoutLMForQuestionAnswering(QuestionAnsweringHead, LayoutLMPreTrainedModel):
    """Document QA: start and end logits of the answer span (`qa_outputs`)."""

    base_model_class = LayoutLMModel
