"""The DeBERTa-family layer tree: `attention.{self,output}`, `intermediate`, `output`.

DeBERTa (v1) and DeBERTa-v2/v3 differ in their self-attention (projection names, talking
heads, position buckets) but wrap it the same way: the attention output projection, residual
and norm (`SelfOutput`), then the feed-forward network (`Intermediate`, `Output`), as BERT
does. The wrappers are written here once; a plugin names its classes with one-line
subclasses that set the child classes as class attributes, so a researcher patching
`DebertaV2Layer.forward` patches that model alone.

Every layer's self-attention receives the same `Relative` (the rows of the shared
relative-position table this forward reads), computed once per forward by the encoder.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import torch
from torch import nn

from tfx_core.modeling.torch.blocks.disentangled import RelativeRows
from tfx_core.modeling.torch.blocks.encoder import Intermediate, Output, SelfOutput


class Relative(NamedTuple):
    """What every layer's attention reads of the relative positions in one forward."""

    rows: RelativeRows
    embeddings: torch.Tensor  # the (normalized) table rows `rows.start:rows.stop`


class DisentangledAttention(nn.Module):
    """`self` (the plugin's disentangled self-attention) and `output` (projection, residual,
    `LayerNorm`)."""

    self_attention_class: ClassVar[type[nn.Module]]
    output_class: ClassVar[type[nn.Module]] = SelfOutput

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.self = self.self_attention_class(config)
        self.output = self.output_class(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        relative: Relative | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        context, weights = self.self(
            hidden_states, bias, relative, output_attentions, implementation
        )
        return self.output(context, hidden_states), weights


class DisentangledLayer(nn.Module):
    """One post-norm layer: `attention`, then `intermediate` and `output` (feed-forward)."""

    attention_class: ClassVar[type[DisentangledAttention]]
    intermediate_class: ClassVar[type[nn.Module]] = Intermediate
    output_class: ClassVar[type[nn.Module]] = Output

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.attention = self.attention_class(config)
        self.intermediate = self.intermediate_class(config)
        self.output = self.output_class(config)

    def forward(
        self,
        hidden_states: torch.Tensor,
        bias: torch.Tensor | None = None,
        relative: Relative | None = None,
        output_attentions: bool = False,
        implementation: str = "sdpa",
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        attended, weights = self.attention(
            hidden_states, bias, relative, output_attentions, implementation
        )
        return self.output(self.intermediate(attended), attended), weights


def run_layers(
    layers: nn.ModuleList,
    hidden_states: torch.Tensor,
    bias: torch.Tensor | None,
    relative: Relative | None,
    output_attentions: bool,
    output_hidden_states: bool,
    implementation: str,
    after_first: Any = None,
) -> tuple[torch.Tensor, tuple | None, tuple | None]:
    """Run `layers` in turn, collecting hidden states and attention weights when asked;
    `after_first(embeddings, hidden)` (DeBERTa-v2's convolution) runs after the first layer."""
    all_hidden = (hidden_states,) if output_hidden_states else None
    all_weights = () if output_attentions else None
    hidden = hidden_states
    for i, layer in enumerate(layers):
        hidden, weights = layer(hidden, bias, relative, output_attentions, implementation)
        if i == 0 and after_first is not None:
            hidden = after_first(hidden_states, hidden)
        if all_hidden is not None:
            all_hidden += (hidden,)
        if all_weights is not None:
            all_weights += (weights,)
    return hidden, all_hidden, all_weights
