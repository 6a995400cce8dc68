"""Qwen2 in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

Llama's layout on the core decoder block (`layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
post_attention_layernorm, mlp.{gate,up,down}_proj}`, RMSNorm in float32, SwiGLU, grouped
key/value heads, rotary positions from `tfx_core.modeling.torch.rotary`); the query, key and
value projections carry biases, the output projection and the MLP none. With
`use_sliding_window`, the layers from `max_window_layers` on (`config.layer_types`) attend
within `sliding_window` positions, on the module path and in the one-token decode plan alike.
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
from tfx_plugin_qwen2.configuration_qwen2 import Qwen2Config

__all__ = [
    "Qwen2Attention",
    "Qwen2DecoderLayer",
    "Qwen2ForCausalLM",
    "Qwen2ForQuestionAnswering",
    "Qwen2ForSequenceClassification",
    "Qwen2ForTokenClassification",
    "Qwen2MLP",
    "Qwen2Model",
    "Qwen2PreTrainedModel",
]


class Qwen2Attention(DecoderAttention):
    """Causal self-attention, rotary positions, biases on query/key/value only; a layer whose
    `config.layer_types` entry is "sliding_attention" sees the `sliding_window` most recent
    positions only."""

    rotate = staticmethod(apply_rotary)

    def __init__(self, config: Qwen2Config, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        if config.layer_types[layer_idx] == "sliding_attention":
            self.window = config.sliding_window

    def projection_biases(self, config: Qwen2Config) -> tuple[bool, bool]:
        return True, False


class Qwen2MLP(DecoderMLP):
    """SwiGLU without biases."""

    def has_bias(self, config: Qwen2Config) -> bool:
        return False


class Qwen2DecoderLayer(DecoderLayer):
    """Pre-norm layer: x + self_attn(input_layernorm(x)), x + mlp(post_attention_layernorm(x))."""

    attention_class = Qwen2Attention
    mlp_class = Qwen2MLP
    norm_kind = "rms_upcast"


class Qwen2PreTrainedModel(PreTrainedModel):
    """Shared Qwen2 loading rules and weight initialisation."""

    config_class = Qwen2Config
    base_model_prefix = "model"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"rotary_emb\.inv_freq$"]


@trusted_forward
class Qwen2Model(RotaryDecoderModel, Qwen2PreTrainedModel):
    """The Qwen2 decoder stack: token embeddings, `layers`, final RMSNorm `norm`, RoPE."""

    layer_class = Qwen2DecoderLayer


@trusted_forward
class Qwen2ForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, Qwen2PreTrainedModel):
    """Qwen2 with a language-modeling head (`lm_head`, tied when `tie_word_embeddings`)."""

    base_model_class = Qwen2Model
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.embed_tokens.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: Qwen2Config) -> None:
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)


class Qwen2ForSequenceClassification(SequenceClassificationHead, Qwen2PreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = Qwen2Model
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class Qwen2ForTokenClassification(TokenClassificationHead, Qwen2PreTrainedModel):
    """A linear classifier (`score`) on every token's hidden state."""

    base_model_class = Qwen2Model
    classifier_attribute = "score"
    dropout_fields = ("classifier_dropout", "hidden_dropout")


class Qwen2ForQuestionAnswering(QuestionAnsweringHead, Qwen2PreTrainedModel):
    """Span start/end logits (`qa_outputs`); the reference keeps the base at `transformer`."""

    base_model_class = Qwen2Model
    base_model_prefix = "transformer"
