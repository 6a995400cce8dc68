"""The BART-family encoder-decoder layers, named like the checkpoints.

```
encoder.layers.N.{self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm}
decoder.layers.N.{self_attn.*, self_attn_layer_norm, encoder_attn.{q,k,v,out}_proj,
                  encoder_attn_layer_norm, fc1, fc2, final_layer_norm}
```

BART, mBART, Marian, Pegasus, Blenderbot(-Small) and M2M100 share this tree; they differ in
`pre_norm` (normalise before each sublayer, mBART/Pegasus/M2M100/Blenderbot, or after it,
BART/Marian/Blenderbot-Small), set as a class attribute on a one-line subclass
(`class MBartEncoderLayer(Seq2SeqEncoderLayer): pre_norm = True`). Self-attention is the core
`DecoderAttention` (fused q/k/v at inference, KV cache), cross-attention the core
`CrossAttention` (encoder keys/values projected once per generation), and the sublayer
arithmetic is `residual_sublayer` / `seq2seq_feed_forward` below, one copy for every variant.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.modeling.torch.activations import activation_fn
from tfx_core.modeling.torch.blocks.decoder import CrossAttention, DecoderAttention
from tfx_core.modeling.torch.blocks.functional import Fn
from tfx_core.modeling.torch.cache import Cache, CrossAttentionCache
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import Linear

__all__ = [
    "Seq2SeqAttention",
    "Seq2SeqCrossAttention",
    "Seq2SeqDecoderLayer",
    "Seq2SeqEncoderLayer",
    "residual_sublayer",
    "seq2seq_feed_forward",
    "side_config",
]


def side_config(config: Any, side: str) -> SimpleNamespace:
    """The sizes of the encoder or decoder side in the names the core attention blocks read."""
    heads = getattr(config, f"{side}_attention_heads")
    return SimpleNamespace(
        hidden_size=config.d_model,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        head_dim=config.d_model // heads,
        attention_dropout=float(getattr(config, "attention_dropout", 0.0) or 0.0),
        attention_bias=True,
        ffn_dim=getattr(config, f"{side}_ffn_dim"),
    )


def residual_sublayer(
    hidden: torch.Tensor,
    norm: Fn,
    sublayer: Any,
    pre_norm: bool,
    dropout: Fn | None = None,
    fresh: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One residual sublayer: pre-norm `x + f(norm(x))` or post-norm `norm(x + f(x))`.

    `sublayer` returns `(output, attention weights or None)`; `dropout` (training) applies to
    the output before the residual add. `fresh`: the output is a new tensor no one else holds
    and autograd is off (a lean plan's bound products), so `x` is added into it in place, the
    same sum without an allocation.
    """
    out, weights = sublayer(norm(hidden) if pre_norm else hidden)
    if dropout is not None:
        out = dropout(out)
    hidden = out.add_(hidden) if fresh else hidden + out
    return (hidden if pre_norm else norm(hidden)), weights


def seq2seq_feed_forward(
    hidden: torch.Tensor,
    fc1: Fn,
    activation: Fn,
    fc2: Fn,
    activation_dropout: Fn | None = None,
) -> tuple[torch.Tensor, None]:
    """`fc2(dropout(act(fc1(x))))` as a sublayer (no attention weights)."""
    inner = activation(fc1(hidden))
    if activation_dropout is not None:
        inner = activation_dropout(inner)
    return fc2(inner), None


@trusted_forward
class Seq2SeqAttention(DecoderAttention):
    """Self-attention with BART's names (`q_proj`, `k_proj`, `v_proj`, `out_proj`), biased."""

    separate_attributes = ("q_proj", "k_proj", "v_proj")
    output_attribute = "out_proj"


@trusted_forward
class Seq2SeqCrossAttention(CrossAttention):
    """Decoder-over-encoder attention with BART's names."""


class _Seq2SeqLayer(nn.Module):
    """What the encoder and decoder layers share: sizes, norms, the feed-forward network."""

    pre_norm: ClassVar[bool] = False
    attention_class: ClassVar[type[nn.Module]] = Seq2SeqAttention
    side: ClassVar[str] = "encoder"
    norm_eps: ClassVar[float] = 1e-5

    def build_common(self, config: Any, layer_idx: int) -> SimpleNamespace:
        sizes = side_config(config, self.side)
        self.embed_dim = config.d_model
        self.self_attn = self.attention_class(sizes, layer_idx)
        self.self_attn_layer_norm = nn.LayerNorm(config.d_model, eps=self.norm_eps)
        self.dropout = float(config.dropout)
        self.activation_fn = activation_fn(config.activation_function)
        self.activation_dropout = float(config.activation_dropout)
        self.fc1 = Linear(config.d_model, sizes.ffn_dim)
        self.fc2 = Linear(sizes.ffn_dim, config.d_model)
        return sizes

    def _dropouts(self) -> tuple[Fn | None, Fn | None]:
        if not self.training:
            return None, None
        p, q = self.dropout, self.activation_dropout
        return (
            (lambda x: nn.functional.dropout(x, p=p, training=True)) if p else None,
            (lambda x: nn.functional.dropout(x, p=q, training=True)) if q else None,
        )

    def feed_forward_sublayer(
        self, hidden: torch.Tensor, dropout: Fn | None, activation_dropout: Fn | None
    ) -> torch.Tensor:
        hidden, _ = residual_sublayer(
            hidden,
            self.final_layer_norm,
            lambda x: seq2seq_feed_forward(
                x, self.fc1, self.activation_fn, self.fc2, activation_dropout
            ),
            self.pre_norm,
            dropout,
        )
        return hidden


@trusted_forward
class Seq2SeqEncoderLayer(_Seq2SeqLayer):
    """Self-attention then feed-forward, each a residual sublayer (`pre_norm` picks the order)."""

    side = "encoder"

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        self.build_common(config, layer_idx)
        self.final_layer_norm = nn.LayerNorm(config.d_model, eps=self.norm_eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        layer_head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`attention_mask` is the additive padding bias (or None)."""
        dropout, activation_dropout = self._dropouts()
        attention = self.self_attn
        hidden, weights = residual_sublayer(
            hidden_states,
            self.self_attn_layer_norm,
            lambda x: attention(
                x, attention_mask, False, None, layer_head_mask, output_attentions, implementation
            ),
            self.pre_norm,
            dropout,
        )
        return self.feed_forward_sublayer(hidden, dropout, activation_dropout), weights


@trusted_forward
class Seq2SeqDecoderLayer(_Seq2SeqLayer):
    """Causal self-attention, cross-attention over the encoder, feed-forward."""

    side = "decoder"
    cross_attention_class: ClassVar[type[nn.Module]] = Seq2SeqCrossAttention

    def __init__(self, config: Any, layer_idx: int = 0) -> None:
        super().__init__()
        sizes = self.build_common(config, layer_idx)
        self.encoder_attn = self.cross_attention_class(sizes, layer_idx)
        self.encoder_attn_layer_norm = nn.LayerNorm(config.d_model, eps=self.norm_eps)
        self.final_layer_norm = nn.LayerNorm(config.d_model, eps=self.norm_eps)

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        is_causal: bool = False,
        cache: Cache | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        cross_cache: CrossAttentionCache | None = None,
        layer_head_mask: torch.Tensor | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
        cross_attn_layer_head_mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """`(hidden, self-attention weights, cross-attention weights)`.

        Without `encoder_hidden_states` (a decoder used alone, `...ForCausalLM`) the
        cross-attention sublayer is skipped, as in the reference.
        """
        dropout, activation_dropout = self._dropouts()
        attention = self.self_attn
        hidden, weights = residual_sublayer(
            hidden_states,
            self.self_attn_layer_norm,
            lambda x: attention(
                x,
                attention_mask,
                is_causal,
                cache,
                layer_head_mask,
                output_attentions,
                implementation,
            ),
            self.pre_norm,
            dropout,
        )
        cross_weights = None
        if encoder_hidden_states is not None:
            cross = self.encoder_attn
            hidden, cross_weights = residual_sublayer(
                hidden,
                self.encoder_attn_layer_norm,
                lambda x: cross(
                    x,
                    encoder_hidden_states,
                    encoder_attention_mask,
                    cross_cache,
                    output_attentions,
                    implementation,
                    cross_attn_layer_head_mask,
                ),
                self.pre_norm,
                dropout,
            )
        hidden = self.feed_forward_sublayer(hidden, dropout, activation_dropout)
        return hidden, weights, cross_weights
