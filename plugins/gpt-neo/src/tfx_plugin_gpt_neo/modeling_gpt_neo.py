"""GPT-Neo in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

GPT-Neo is GPT-2's layout (`h.N.{ln_1, attn, ln_2, mlp.{c_fc, c_proj}}`, learned positions,
`ln_f`) with three differences, all stated here on the core's pre-norm decoder blocks:
- the attention sits one level deeper (`attn.attention.{q,k,v}_proj`, `out_proj`), with
  separate bias-free q/k/v projections (run as one product at inference by the core);
- scores are not scaled by 1/sqrt(head_dim) and are computed in float32;
- layers alternate between global attention and local attention over the `window_size` most
  recent positions (`config.attention_layers`); the block's `window` applies it, on the module
  path and in the one-token decode plan alike.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import DecoderAttention, DecoderLayer, DecoderMLP
from tfx_core.modeling.torch.blocks.decoder_forward import PastFirstForward
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.heads import (
    CausalLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    TokenClassificationHead,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_gpt_neo.configuration_gpt_neo import GPTNeoConfig

__all__ = [
    "GPTNeoAttention",
    "GPTNeoBlock",
    "GPTNeoForCausalLM",
    "GPTNeoForQuestionAnswering",
    "GPTNeoForSequenceClassification",
    "GPTNeoForTokenClassification",
    "GPTNeoMLP",
    "GPTNeoModel",
    "GPTNeoPreTrainedModel",
    "GPTNeoSelfAttention",
]


class GPTNeoSelfAttention(DecoderAttention):
    """Unscaled causal self-attention in float32; local layers see the last `window_size` tokens."""

    output_attribute = "out_proj"
    attention_dropout_field = "attention_dropout"
    output_dropout_field = "resid_dropout"
    upcast = True

    def __init__(self, config: GPTNeoConfig, layer_idx: int = 0) -> None:
        super().__init__(config, layer_idx)
        self.attention_type = config.attention_layers[layer_idx]
        if self.attention_type == "local":
            self.window = config.window_size

    def attention_scale(self, config: GPTNeoConfig, layer_idx: int) -> float:
        return 1.0

    def projection_biases(self, config: GPTNeoConfig) -> tuple[bool, bool]:
        return False, True  # q/k/v without biases, out_proj with one


@trusted_forward
class GPTNeoAttention(nn.Module):
    """The checkpoints' extra level: `attn.attention` is the self-attention."""

    def __init__(self, config: GPTNeoConfig, layer_idx: int = 0) -> None:
        super().__init__()
        self.attention = GPTNeoSelfAttention(config, layer_idx)

    def forward(self, *args: Any, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.attention(*args, **kwargs)

    def lean_functions(self) -> dict[str, Any] | None:
        return self.attention.lean_functions()


class GPTNeoMLP(DecoderMLP):
    """Expand (`c_fc`), activation (`activation_function`), project back (`c_proj`)."""

    up_attribute = "c_fc"
    gate_attribute = None
    down_attribute = "c_proj"
    activation_attribute = "act"
    activation_field = "activation_function"
    dropout_field = "resid_dropout"

    def inner_size(self, config: GPTNeoConfig) -> int:
        return config.inner_size


class GPTNeoBlock(DecoderLayer):
    """Pre-norm block: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    input_norm_attribute = "ln_1"
    attention_attribute = "attn"
    post_norm_attribute = "ln_2"
    attention_class = GPTNeoAttention
    mlp_class = GPTNeoMLP
    norm_kind = "layer"
    norm_eps_field = "layer_norm_epsilon"


class GPTNeoPreTrainedModel(PreTrainedModel):
    """Shared GPT-Neo loading rules (weight init is the core's default, as the reference's)."""

    config_class = GPTNeoConfig
    base_model_prefix = "transformer"
    # old checkpoints saved the attention layers' mask buffers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.attention\.(bias|masked_bias)$"]


@trusted_forward
class GPTNeoModel(PastFirstForward, DecoderModel, GPTNeoPreTrainedModel):
    """The decoder stack: token (`wte`) + position (`wpe`) embeddings, blocks `h`, `ln_f`."""

    layers_attribute = "h"
    final_norm_attribute = "ln_f"
    position_embedding_attribute = "wpe"  # learned positions; tokens `wte`, dropout `drop`
    context_field = "max_position_embeddings"

    def __init__(self, config: GPTNeoConfig) -> None:
        super().__init__(config)
        self.embed_dim = config.hidden_size
        self.wte = nn.Embedding(config.vocab_size, config.hidden_size)
        self.wpe = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.drop = nn.Dropout(config.embed_dropout)
        self.h = nn.ModuleList(GPTNeoBlock(config, layer_idx=i) for i in range(config.num_layers))
        self.ln_f = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_epsilon)
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.wte

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.wte = embeddings


@trusted_forward
class GPTNeoForCausalLM(LeanDecoding, GenerationMixin, CausalLMHead, GPTNeoPreTrainedModel):
    """Next-token prediction (`lm_head` tied to the token embeddings); has `generate`."""

    base_model_class = GPTNeoModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: GPTNeoConfig) -> None:
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)


class GPTNeoForSequenceClassification(SequenceClassificationHead, GPTNeoPreTrainedModel):
    """A linear classifier (`score`, no bias) on each sequence's last non-padding token."""

    base_model_class = GPTNeoModel
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class GPTNeoForTokenClassification(TokenClassificationHead, GPTNeoPreTrainedModel):
    """Dropout (`classifier_dropout`) and a linear `classifier` on every token's hidden state."""

    base_model_class = GPTNeoModel
    dropout_fields = ("classifier_dropout",)


class GPTNeoForQuestionAnswering(QuestionAnsweringHead, GPTNeoPreTrainedModel):
    """Span start/end logits (`qa_outputs`)."""

    base_model_class = GPTNeoModel
