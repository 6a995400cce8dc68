"""BertGeneration in PyTorch, with the reference's class and parameter names (Hub checkpoints
load as they are).

BERT's post-norm layers (the core's encoder tree) over word + position embeddings, without token
types or pooler. As an encoder it reads bidirectionally; with `is_decoder` its self-attention is
causal with a KV cache, and with `add_cross_attention` each layer also attends over an encoder's
states (`crossattention`), which makes `BertGenerationDecoder` the decoder of an
`EncoderDecoderModel` (BERT2BERT, the "bert_for_seq_generation" checkpoints).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPastAndCrossAttentions,
    CausalLMOutputWithCrossAttentions,
)
from tfx_core.modeling.torch import PreTrainedModel, blocks
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import CausalLMHead
from tfx_plugin_bert_generation.configuration_bert_generation import BertGenerationConfig


class BertGenerationEmbeddings(nn.Module):
    """Word + position embeddings (no token types), then layer norm and dropout."""

    def __init__(self, config: BertGenerationConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.max_positions = config.max_position_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None = None,  # the core model's call passes None
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        past_length: int = 0,
    ) -> torch.Tensor:
        if inputs_embeds is None:
            inputs_embeds = self.word_embeddings(input_ids)
        if position_ids is None:
            end = past_length + inputs_embeds.shape[1]
            if end > self.max_positions:
                raise ConfigError(
                    f"The input has {end} positions but this model handles at most "
                    f"{self.max_positions} (max_position_embeddings): truncate it."
                )
            positions = self.position_embeddings.weight[past_length:end]
        else:
            positions = self.position_embeddings(position_ids)
        embeddings = self.LayerNorm(inputs_embeds + positions)
        return self.dropout(embeddings) if self.training else embeddings


# The layers: the core's post-norm tree under the reference's class names.
class BertGenerationSelfAttention(blocks.SelfAttention):
    """Multi-head attention (`query`, `key`, `value`); over the encoder in `crossattention`."""


class BertGenerationSelfOutput(blocks.SelfOutput):
    """Attention output projection, dropout, residual add and layer norm."""


class BertGenerationAttention(blocks.Attention):
    self_class = BertGenerationSelfAttention
    output_class = BertGenerationSelfOutput


class BertGenerationIntermediate(blocks.Intermediate):
    """First feed-forward projection and the activation (`hidden_act`)."""


class BertGenerationOutput(blocks.Output):
    """Second feed-forward projection, dropout, residual add and layer norm."""


class BertGenerationLayer(blocks.EncoderLayer):
    """Self-attention, cross-attention (decoders with `add_cross_attention`), feed-forward."""

    attention_class = BertGenerationAttention
    intermediate_class = BertGenerationIntermediate
    output_class = BertGenerationOutput


class BertEncoder(blocks.Encoder):  # the reference's name for BertGeneration's layer stack
    layer_class = BertGenerationLayer


class BertGenerationOnlyLMHead(nn.Module):
    """`decoder` onto the vocabulary (tied to the word embeddings); `bias` is `decoder.bias`."""

    def __init__(self, config: BertGenerationConfig) -> None:
        super().__init__()
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.decoder.bias = self.bias

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(hidden_states)


# ---------------------------------------------------------------------------- models
class BertGenerationPreTrainedModel(PreTrainedModel):
    """Loading rules shared by the BertGeneration classes (weight init: the core's default)."""

    config_class: ClassVar[type[BertGenerationConfig]] = BertGenerationConfig
    base_model_prefix: ClassVar[str] = "bert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, BertGenerationOnlyLMHead):
            module.bias.data.zero_()


class BertGenerationEncoder(blocks.EncoderModel, BertGenerationPreTrainedModel):
    """Embeddings and `num_hidden_layers` BERT layers (no pooler); a decoder with `is_decoder`."""

    embeddings_class = BertGenerationEmbeddings
    encoder_class = BertEncoder
    pooler_class = None
    supports_cross_attention = True

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        past_key_values: Cache | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = super().forward(
            input_ids,
            attention_mask,
            None,
            position_ids,
            head_mask,
            inputs_embeds,
            encoder_hidden_states,
            encoder_attention_mask,
            past_key_values=past_key_values,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )
        outputs = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=base.last_hidden_state,
            past_key_values=base.past_key_values,
            hidden_states=base.hidden_states,
            attentions=base.attentions,
            cross_attentions=base.cross_attentions,
        )
        return self.model_outputs(outputs, return_dict)


class BertGenerationDecoder(GenerationMixin, CausalLMHead, BertGenerationPreTrainedModel):
    """Left-to-right language modelling (`is_decoder=True`); `generate`; the decoder of
    BERT2BERT when built with `add_cross_attention=True`."""

    base_model_class = BertGenerationEncoder
    output_class = CausalLMOutputWithCrossAttentions
    tied_weights: ClassVar[dict[str, str]] = {
        "lm_head.decoder.weight": "bert.embeddings.word_embeddings.weight"
    }
    shared_weights: ClassVar[dict[str, str]] = {"lm_head.decoder.bias": "lm_head.bias"}
    output_embeddings_attribute = "lm_head.decoder"

    def build_head(self, config: BertGenerationConfig) -> None:
        self.lm_head = BertGenerationOnlyLMHead(config)

    def _prepare_for_decoding(self) -> None:
        if not self.config.is_decoder:  # bidirectional attention cannot reuse a KV cache
            raise GenerationError(
                "BertGenerationDecoder generates left to right only with a causal model: load "
                "it with is_decoder=True (e.g. from_pretrained(..., is_decoder=True))."
            )


__all__ = [
    "BertGenerationDecoder",
    "BertGenerationEncoder",
    "BertGenerationPreTrainedModel",
]
