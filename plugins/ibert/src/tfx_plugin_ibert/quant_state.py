"""The integer-inference state I-BERT checkpoints carry, kept so they load and save unchanged.

The reference's quantized modules (`QuantLinear`, `QuantEmbedding`, `QuantAct`, `IntLayerNorm`,
`IntSoftmax`) hold buffers next to their float weights: integer copies of the weights, scaling
factors, activation ranges, the layer norm's shift. With `quant_mode=False` (the only mode tfx
runs) none of them takes part in the math, but they are part of every checkpoint, so tfx
registers them under the reference's names with its initial values: a checkpoint loads without
unexpected keys, and what tfx saves has the reference's key set.
"""

from __future__ import annotations

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.torch.lean import trusted_forward

#: the initial activation range of a `QuantAct` (the reference's +-1e-5)
_RANGE = 1e-5


@trusted_forward
class QuantAct(nn.Module):
    """An activation quantizer's state: `x_min`, `x_max`, `act_scaling_factor`.

    In float mode the reference's quantizer passes its input (plus the residual it is given)
    through; tfx's layers do that sum themselves, so this module is never called on the path.
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("x_min", torch.full((1,), -_RANGE))
        self.register_buffer("x_max", torch.full((1,), _RANGE))
        self.register_buffer("act_scaling_factor", torch.zeros(1))

    def forward(self, x: torch.Tensor, identity: torch.Tensor | None = None) -> torch.Tensor:
        return x if identity is None else identity + x


@trusted_forward
class IntSoftmax(nn.Module):
    """The integer softmax's state: the quantizer of its input (`act`)."""

    def __init__(self) -> None:
        super().__init__()
        self.act = QuantAct()

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        return scores.softmax(dim=-1)


def add_linear_state(linear: nn.Linear) -> None:
    """`QuantLinear`'s buffers on a linear layer: `weight_integer`, `fc_scaling_factor`,
    `bias_integer`."""
    linear.register_buffer("weight_integer", torch.zeros_like(linear.weight.data))
    linear.register_buffer("fc_scaling_factor", torch.zeros(linear.out_features))
    linear.register_buffer("bias_integer", torch.zeros_like(linear.bias.data))


def add_embedding_state(embedding: nn.Embedding) -> None:
    """`QuantEmbedding`'s buffers: `weight_scaling_factor`, `weight_integer`."""
    embedding.register_buffer("weight_scaling_factor", torch.zeros(1))
    embedding.register_buffer("weight_integer", torch.zeros_like(embedding.weight.data))


def add_norm_state(norm: nn.LayerNorm) -> None:
    """`IntLayerNorm`'s state: the `shift` buffer and its output quantizer (`activation`)."""
    norm.register_buffer("shift", torch.zeros(1))
    norm.activation = QuantAct()


def require_float_mode(config: object) -> None:
    """Refuse what tfx does not run: integer-only inference and the reference's other refusals."""
    name = type(config).__name__
    if getattr(config, "quant_mode", False):
        raise ConfigError(
            f"{name} field 'quant_mode' is true: I-BERT's integer-only inference (QuantAct, "
            "integer GELU / softmax / layer norm) is not implemented in tfx. Load the checkpoint "
            "with quant_mode=False (from_pretrained(..., quant_mode=False)) to run it in floating "
            "point, or use the transformers implementation for integer-only inference."
        )
    if getattr(config, "hidden_act", "gelu") != "gelu":
        raise ConfigError(f"{name} field 'hidden_act' must be 'gelu' for I-BERT.")
    if getattr(config, "position_embedding_type", "absolute") != "absolute":
        raise ConfigError(f"{name} field 'position_embedding_type' must be 'absolute' for I-BERT.")
