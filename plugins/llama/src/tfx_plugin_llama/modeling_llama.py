"""Llama in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

The layer is the core's pre-norm decoder layer with its default (Llama) names:
`layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
mlp.{gate,up,down}_proj}`, RMSNorm, SwiGLU, grouped key/value heads. Positions are rotary
(`tfx_core.modeling.torch.rotary`): the base model turns position ids into one `(cos, sin)`
table per forward and the attention's `rotate` hook applies it, on the module path and in the
one-token decode plan alike.
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
from tfx_plugin_llama.configuration_llama import LlamaConfig

__all__ = [
    "LlamaAttention",
    "LlamaDecoderLayer",
    "LlamaForCausalLM",
    "LlamaForQuestionAnswering",
    "LlamaForSequenceClassification",
    "LlamaForTokenClassification",
    "LlamaMLP",
    "LlamaModel",
    "LlamaPreTrainedModel",
]


class LlamaAttention(DecoderAttention):
    """Causal self-attention with grouped key/value heads and rotary positions."""

    rotate = staticmethod(apply_rotary)


class LlamaMLP(DecoderMLP):
    """SwiGLU: `down_proj(act(gate_proj(x)) * up_proj(x))`."""


class LlamaDecoderLayer(DecoderLayer):
    """Pre-norm layer: x + self_attn(input_layernorm(x)), x + mlp(post_attention_layernorm(x))."""

    attention_class = LlamaAttention
    mlp_class = LlamaMLP
    norm_kind = "rms_upcast"  # statistics in float32 for bf16/fp16, as the reference


class LlamaPreTrainedModel(PreTrainedModel):
    """Shared Llama loading rules and weight initialisation."""

    config_class = LlamaConfig
    base_model_prefix = "model"
    # older checkpoints saved the rotary table; it is computed from the config
    ignore_unexpected_keys: ClassVar[list[str]] = [r"rotary_emb\.inv_freq$"]


@trusted_forward
class LlamaModel(RotaryDecoderModel, LlamaPreTrainedModel):
    """The Llama decoder stack: token embeddings, `layers`, final RMSNorm `norm`, RoPE."""

    layer_class = LlamaDecoderLayer


@trusted_forward
class LlamaForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, LlamaPreTrainedModel):
    """Llama with a language-modeling head (`lm_head`, tied when `tie_word_embeddings`)."""

    base_model_class = LlamaModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.embed_tokens.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: LlamaConfig) -> None:
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)


class LlamaForSequenceClassification(SequenceClassificationHead, LlamaPreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = LlamaModel
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class LlamaForTokenClassification(TokenClassificationHead, LlamaPreTrainedModel):
    """A linear classifier (`score`) on every token's hidden state."""

    base_model_class = LlamaModel
    classifier_attribute = "score"
    dropout_fields = ("classifier_dropout", "hidden_dropout")


class LlamaForQuestionAnswering(QuestionAnsweringHead, LlamaPreTrainedModel):
    """Span start/end logits (`qa_outputs`); the reference keeps the base at `transformer`."""

    base_model_class = LlamaModel
    base_model_prefix = "transformer"
