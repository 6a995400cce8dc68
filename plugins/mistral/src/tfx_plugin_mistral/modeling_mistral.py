"""Mistral in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

Llama's layout on the core decoder block (`layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
post_attention_layernorm, mlp.{gate,up,down}_proj}`, RMSNorm in float32, SwiGLU, grouped
key/value heads, rotary positions from `tfx_core.modeling.torch.rotary`), no biases, and a
sliding attention window (`config.sliding_window`): each token sees that many most recent
positions, itself included, on the module path and in the one-token decode plan alike; the
cache returns only the window's keys to the attention, as the reference's sliding cache does
(`cache.sliding_windows`), so bf16 decoding rounds as the reference's.
"""

from __future__ import annotations

from typing import ClassVar

from torch import nn

from tfx_core.generation.mixin import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import (
    DecoderAttention,
    DecoderLayer,
    DecoderMLP,
)
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.blocks.rotary_decoder_model import RotaryDecoderModel
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.rotary import apply_rotary
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
class MistralModel(RotaryDecoderModel, MistralPreTrainedModel):
    """The Mistral decoder stack: token embeddings, `layers`, final RMSNorm `norm`, RoPE."""

    layer_class = MistralDecoderLayer

    def attention_window(self) -> int | None:
        return self.config.sliding_window


@trusted_forward
class MistralForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, MistralPreTrainedModel):
    """Mistral with a language-modeling head (`lm_head`, tied when `tie_word_embeddings`)."""

    base_model_class = MistralModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.embed_tokens.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: MistralConfig) -> None:
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)


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
