"""Mistral in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

Llama's layout on the core decoder block (`layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
post_attention_layernorm, mlp.{gate,up,down}_proj}`, RMSNorm in float32, SwiGLU, grouped
key/value heads, rotary positions from `tfx_core.modeling.torch.rotary`), no biases, and a
sliding attention window (`config.sliding_window`): each token sees that many most recent
positions, itself included, on the module path and in the one-token decode plan alike.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import (
    DecoderAttention,
    DecoderLayer,
    DecoderMLP,
    UpcastRMSNorm,
)
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.rotary import RotaryEmbedding, apply_rotary
from tfx_plugin_mistral.configuration_mistral import MistralConfig

__all__ = [
    "MistralAttention",
    "MistralDecoderLayer",
    "MistralForCausalLM",
    "MistralForQuestionAnswering",
    "MistralForSequenceClassification",
    "MistralForTokenClassification",
    "MistralMLP",
    "MistralModel",
    "MistralPreTrainedModel",
]


class MistralAttention(DecoderAttention):
    """Causal self-attention with grouped key/value heads and rotary positions; no biases."""

    rotate = staticmethod(apply_rotary)

    def projection_biases(self, config: MistralConfig) -> tuple[bool, bool]:
        return False, False


class MistralMLP(DecoderMLP):
    """SwiGLU without biases."""

    def has_bias(self, config: MistralConfig) -> bool:
        return False


class MistralDecoderLayer(DecoderLayer):
    """Pre-norm layer: x + self_attn(input_layernorm(x)), x + mlp(post_attention_layernorm(x))."""

    attention_class = MistralAttention
    mlp_class = MistralMLP
    norm_kind = "rms_upcast"


class MistralPreTrainedModel(PreTrainedModel):
    """Shared Mistral loading rules and weight initialisation."""

    config_class = MistralConfig
    base_model_prefix = "model"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"rotary_emb\.inv_freq$"]


@trusted_forward
class MistralModel(DecoderModel, MistralPreTrainedModel):
    """The Mistral decoder stack: token embeddings, `layers`, final RMSNorm `norm`, RoPE."""

    def __init__(self, config: MistralConfig) -> None:
        super().__init__(config)
        self.padding_idx = config.pad_token_id
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size, self.padding_idx)
        self.layers = nn.ModuleList(
            MistralDecoderLayer(config, layer_idx=i) for i in range(config.num_hidden_layers)
        )
        self.norm = UpcastRMSNorm(config.hidden_size, eps=config.rms_norm_eps)
        self.rotary_emb = RotaryEmbedding(config)
        self.post_init()

    def attention_window(self) -> int | None:
        return self.config.sliding_window

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed_tokens

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.embed_tokens = embeddings

    def embed(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        position_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        past_length: int,
    ) -> torch.Tensor:
        """Token embeddings (positions enter through the attention's rotation)."""
        return self.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds

    def layer_positions(
        self, position_ids: torch.Tensor | None, past_length: int, length: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The rotary `(cos, sin)` of the positions (`past_length ...` when not given)."""
        weight = self.embed_tokens.weight
        if position_ids is None:
            position_ids = torch.arange(
                past_length, past_length + length, device=weight.device
            ).unsqueeze(0)
        return self.rotary_emb(position_ids, weight.dtype)

    def forward(
        self,
        input_ids: torch.LongTensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.LongTensor | None = None,
        past_key_values: Cache | tuple | None = None,
        inputs_embeds: torch.FloatTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.LongTensor | None = None,
    ) -> Any:
        return self.decoder_forward(
            input_ids,
            past_key_values=past_key_values,
            attention_mask=attention_mask,
            position_ids=position_ids,
            inputs_embeds=inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


@trusted_forward
class MistralForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, MistralPreTrainedModel):
    """Mistral with a language-modeling head (`lm_head`, tied when `tie_word_embeddings`)."""

    base_model_class = MistralModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.embed_tokens.weight"}

    def build_head(self, config: MistralConfig) -> None:
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)

    def get_output_embeddings(self) -> nn.Linear:
        return self.lm_head

    def set_output_embeddings(self, embeddings: nn.Linear) -> None:
        self.lm_head = embeddings


class MistralForSequenceClassification(SequenceClassificationHead, MistralPreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = MistralModel
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class MistralForTokenClassification(TokenClassificationHead, MistralPreTrainedModel):
    """A linear classifier (`score`) on every token's hidden state."""

    base_model_class = MistralModel
    classifier_attribute = "score"
    dropout_fields = ("classifier_dropout", "hidden_dropout")


class MistralForQuestionAnswering(QuestionAnsweringHead, MistralPreTrainedModel):
    """Span start/end logits (`qa_outputs`) on every token's hidden state."""

    base_model_class = MistralModel
