"""CTRL in PyTorch, with the reference's class and parameter names so Hub checkpoints load as is.

CTRL is a pre-norm decoder on the core's blocks, named its own way:
`h.N.{layernorm1, multi_head_attention.{Wq, Wk, Wv, dense}, layernorm2, ffn.{0, 2}}` (the
feed-forward is a `Sequential` in the checkpoints: Linear, ReLU, Linear), a final `layernorm`.
Its own parts: token embeddings scaled by sqrt(n_embd) plus fixed sinusoidal positions (no
weights), layer norms with eps 1e-6 inside the layers, and an LM head with a bias. A text is
steered by its first token, a control code ("Links", "Opinion", ...), which is an ordinary
vocabulary word.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.generation import GenerationMixin
from tfx_core.modeling.outputs import SequenceClassifierOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.decoder import DecoderAttention, DecoderLayer, DecoderMLP
from tfx_core.modeling.torch.blocks.decoder_forward import PastFirstForward
from tfx_core.modeling.torch.blocks.decoder_model import DecoderModel
from tfx_core.modeling.torch.blocks.lean_decoder import LeanDecoding
from tfx_core.modeling.torch.cache import Cache
from tfx_core.modeling.torch.heads import CausalLMHead, SequenceClassificationHead
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_plugin_ctrl.configuration_ctrl import CTRLConfig

__all__ = [
    "CTRLAttention",
    "CTRLEncoderLayer",
    "CTRLFeedForward",
    "CTRLForSequenceClassification",
    "CTRLLMHeadModel",
    "CTRLModel",
    "CTRLPreTrainedModel",
    "positional_encoding",
]


def positional_encoding(positions: int, width: int) -> torch.Tensor:
    """CTRL's fixed table `[positions, width]` (float32): sines of the even-indexed angles,
    then cosines of the odd-indexed ones, angle(p, i) = p / 10000^(2 * (i // 2) / width)."""
    position = torch.arange(positions, dtype=torch.int64).float()[:, None]
    channel = torch.arange(width, dtype=torch.int64).float()[None, :]
    angles = position * (1 / torch.pow(10000, (2 * (channel // 2)) / width))
    return torch.cat([torch.sin(angles[:, 0::2]), torch.cos(angles[:, 1::2])], dim=-1)


class CTRLAttention(DecoderAttention):
    """Causal self-attention over `Wq`, `Wk`, `Wv` (one product at inference) and `dense`."""

    separate_attributes = ("Wq", "Wk", "Wv")
    output_attribute = "dense"
    output_dropout_field = "resid_pdrop"

    def projection_biases(self, config: CTRLConfig) -> tuple[bool, bool]:
        return True, True


class CTRLFeedForward(DecoderMLP):
    """`ffn.0` (to `dff`), ReLU, `ffn.2` (back): the checkpoints' `Sequential` indices."""

    up_attribute = "0"
    gate_attribute = None
    down_attribute = "2"
    activation_attribute = "act"
    activation_field = "ffn_activation"
    dropout_field = "resid_pdrop"

    def inner_size(self, config: CTRLConfig) -> int:
        return config.dff


class CTRLEncoderLayer(DecoderLayer):
    """Pre-norm layer: x + attention(layernorm1(x)), then x + ffn(layernorm2(x))."""

    input_norm_attribute = "layernorm1"
    attention_attribute = "multi_head_attention"
    post_norm_attribute = "layernorm2"
    mlp_attribute = "ffn"
    attention_class = CTRLAttention
    mlp_class = CTRLFeedForward
    norm_kind = "layer"

    def norm(self, config: CTRLConfig) -> nn.Module:
        return nn.LayerNorm(config.n_embd, eps=1e-6)  # the layers' eps is fixed in CTRL


class CTRLPreTrainedModel(PreTrainedModel):
    """Shared CTRL loading rules (weight init is the core's default, as the reference's)."""

    config_class = CTRLConfig
    base_model_prefix = "transformer"


@trusted_forward
class CTRLModel(PastFirstForward, DecoderModel, CTRLPreTrainedModel):
    """Scaled token embeddings `w` + sinusoidal positions, layers `h`, final `layernorm`."""

    layers_attribute = "h"
    final_norm_attribute = "layernorm"
    token_embedding_attribute = "w"
    embedding_dropout_attribute = "dropout"

    def __init__(self, config: CTRLConfig) -> None:
        super().__init__(config)
        self.d_model_size = config.n_embd
        self.w = nn.Embedding(config.vocab_size, config.n_embd)
        self.dropout = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList(CTRLEncoderLayer(config, layer_idx=i) for i in range(config.n_layer))
        self.layernorm = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        # fixed, float32 and outside the state dict (as the reference); one copy per device
        self._positions = {
            torch.device("cpu"): positional_encoding(config.n_positions, config.n_embd)
        }
        self.post_init()

    def get_input_embeddings(self) -> nn.Embedding:
        return self.w

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.w = embeddings

    def pos_encoding(self, device: torch.device) -> torch.Tensor:
        """The sinusoidal table on `device`."""
        table = self._positions.get(device)
        if table is None:
            table = self._positions[device] = next(iter(self._positions.values())).to(device)
        return table

    def token_scale(self) -> float:
        """Token (and token type) embeddings are multiplied by `sqrt(n_embd)`."""
        return math.sqrt(self.d_model_size)

    def position_embeddings(
        self, position_ids: torch.Tensor | None, past_length: int, length: int, device: Any
    ) -> torch.Tensor:
        """Rows of the fixed float32 sinusoidal table (`positional_encoding`)."""
        table = self.pos_encoding(device)
        if position_ids is None:
            return table[past_length : past_length + length]
        return table[position_ids]


@trusted_forward
class CTRLLMHeadModel(LeanDecoding, GenerationMixin, CausalLMHead, CTRLPreTrainedModel):
    """Language modelling (`lm_head` with a bias, its weight tied to `w`); has `generate`."""

    base_model_class = CTRLModel
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.w.weight"}
    output_embeddings_attribute = "lm_head"

    def build_head(self, config: CTRLConfig) -> None:
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=True)

    def _decode_forward(
        self,
        input_ids: torch.LongTensor,
        *,
        attention_mask: torch.Tensor | None,
        position_ids: torch.LongTensor | None,
        cache: Cache,
    ) -> torch.Tensor:
        """The reference's `generate` passes no positions: they count 0, 1, ... from the
        first column, padding included; so do these."""
        return super()._decode_forward(
            input_ids, attention_mask=attention_mask, position_ids=None, cache=cache
        )


class CTRLForSequenceClassification(SequenceClassificationHead, CTRLPreTrainedModel):
    """A linear `classifier` (no bias) on each sequence's last non-padding token."""

    base_model_class = CTRLModel
    head_input = "last_token"
    output_class = SequenceClassifierOutput  # the reference returns no cache here
    classifier_bias = False
    dropout_fields = None
