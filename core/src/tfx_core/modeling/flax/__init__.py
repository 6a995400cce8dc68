"""Flax nnx base class, checkpoint adapter, core blocks, generic heads and generation.

Importing this package imports JAX and Flax; `import tfx_core` does not.
"""

from tfx_core.modeling.flax import attention, blocks, decoder, encoder_model, heads, layers, losses
from tfx_core.modeling.flax.adapter import checkpoint_slots, state_dict
from tfx_core.modeling.flax.base import FlaxPreTrainedModel, resolve_dtype
from tfx_core.modeling.flax.generation import FlaxGenerationMixin, prompt_bucket, trace_count

__all__ = [
    "FlaxGenerationMixin",
    "FlaxPreTrainedModel",
    "attention",
    "blocks",
    "checkpoint_slots",
    "decoder",
    "encoder_model",
    "heads",
    "layers",
    "losses",
    "prompt_bucket",
    "resolve_dtype",
    "state_dict",
    "trace_count",
]
