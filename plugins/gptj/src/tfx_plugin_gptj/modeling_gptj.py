"""GPT-J in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

On the core's decoder blocks, GPT-J's own parts are:
- rotary positions on the first `rotary_dim` channels of each head, rotated pairwise
  (channels `2i, 2i + 1`: the interleaved layout, `apply_interleaved_rotary`), no position
  embeddings;
- a parallel residual: one norm `ln_1` feeds both the attention and the MLP,
  `x + attn(ln_1(x)) + mlp(ln_1(x))` (`parallel_residual_layer`);
- bias-free q/k/v/out projections, scores computed in float32, an LM head with a bias.
The one-token decode plan runs the same functions, so `generate` keeps the fast path.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import DecoderAttention, DecoderLayer, DecoderMLP
from tfx_core.modeling.torch.blocks.decoder_forward import PastFirstForward
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.functional import parallel_residual_layer
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.rotary import RotaryEmbedding, apply_interleaved_rotary
from tfx_plugin_gptj.configuration_gptj import GPTJConfig

__all__ = [
    "GPTJMLP",
    "GPTJAttention",
    "GPTJBlock",
    "GPTJForCausalLM",
    "GPTJForQuestionAnswering",
    "GPTJForSequenceClassification",
    "GPTJModel",
    "GPTJPreTrainedModel",
]


class GPTJAttention(DecoderAttention):
    """Causal self-attention in float32 with interleaved rotary positions; no biases."""

    output_attribute = "out_proj"
    attention_dropout_field = "attn_pdrop"
    output_dropout_field = "resid_pdrop"
    rotate = staticmethod(apply_interleaved_rotary)
    upcast = True

    def projection_biases(self, config: GPTJConfig) -> tuple[bool, bool]:
        return False, False


class GPTJMLP(DecoderMLP):
    """Expand (`fc_in`), activation (`activation_function`), project back (`fc_out`)."""

    up_attribute = "fc_in"
    gate_attribute = None
    down_attribute = "fc_out"
    activation_attribute = "act"
    activation_field = "activation_function"
    dropout_field = "resid_pdrop"

    def inner_size(self, config: GPTJConfig) -> int:
        return config.inner_size


class GPTJBlock(DecoderLayer):
    """Parallel residual: x + attn(ln_1(x)) + mlp(ln_1(x)); one norm per layer."""

    input_norm_attribute = "ln_1"
    attention_attribute = "attn"
    post_norm_attribute = None
    layer_function = staticmethod(parallel_residual_layer)
    attention_class = GPTJAttention
    mlp_class = GPTJMLP
    norm_kind = "layer"
    norm_eps_field = "layer_norm_epsilon"


@trusted_forward
class GPTJRotaryEmbedding(RotaryEmbedding):
    """The core's rotary table in GPT-J's interleaved layout (`rotary_dim`, else the head size)."""

    interleaved = True


class GPTJPreTrainedModel(PreTrainedModel):
    """Shared GPT-J loading rules (weight init is the core's default, as the reference's)."""

    config_class = GPTJConfig
    base_model_prefix = "transformer"
    # old checkpoints saved the attention layers' mask buffers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.(bias|masked_bias)$"]


@trusted_forward
class GPTJModel(PastFirstForward, DecoderModel, GPTJPreTrainedModel):
    """The decoder stack: token embeddings `wte`, blocks `h`, final norm `ln_f`, rotary table."""

    layers_attribute = "h"
    final_norm_attribute = "ln_f"

    def __init__(self, config: GPTJConfig) -> None:
        super().__init__(config)
        self.embed_dim = config.n_embd
        self.wte = nn.Embedding(config.vocab_size, self.embed_dim)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(GPTJBlock(config, layer_idx=i) for i in range(config.n_layer))
        self.ln_f = nn.LayerNorm(self.embed_dim, eps=config.layer_norm_epsilon)
        self.rotary_emb = GPTJRotaryEmbedding(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.wte = embeddings

    def layer_positions(
        self, position_ids: torch.Tensor | None, past_length: int, length: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The rotary `(cos, sin)` of the positions (`past_length ...` when not given)."""
        weight = self.wte.weight
        if position_ids is None:
            position_ids = torch.arange(
                past_length, past_length + length, device=weight.device
            ).unsqueeze(0)
        return self.rotary_emb(position_ids, weight.dtype)


@trusted_forward
class GPTJForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, GPTJPreTrainedModel):
    """Next-token prediction (`lm_head` with a bias; tied when `tie_word_embeddings`)."""

    base_model_class = GPTJModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: GPTJConfig) -> None:
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)


class GPTJForSequenceClassification(SequenceClassificationHead, GPTJPreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = GPTJModel
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class GPTJForQuestionAnswering(QuestionAnsweringHead, GPTJPreTrainedModel):
    """Span start/end logits (`qa_outputs`)."""

    base_model_class = GPTJModel
