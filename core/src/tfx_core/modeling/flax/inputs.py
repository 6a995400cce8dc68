"""Call arguments the Flax models read alike: `output_*` flags, optional arrays, encoder
outputs, and the seq2seq output object built from the encoder's and the decoder's results."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.heads import finish
from tfx_core.modeling.outputs import BaseModelOutput

Array = jax.Array

__all__ = ["as_encoder_output", "flag", "input_ids_array", "optional_array", "seq2seq_output"]


def flag(value: bool | None, default: Any) -> bool:
    """An `output_*` argument, the config's default when None."""
    return bool(default if value is None else value)


def optional_array(value: Any) -> Array | None:
    """`value` as a JAX array; None stays None."""
    return None if value is None else jnp.asarray(value)


def input_ids_array(input_ids: Any) -> Array:
    """The required `input_ids` as a JAX array (a `ConfigError` when missing)."""
    if input_ids is None:
        raise ConfigError("Pass input_ids ([batch, length] token ids).")
    return jnp.asarray(input_ids)


def as_encoder_output(model: Any, encoder_outputs: Any, *encode_args: Any) -> BaseModelOutput:
    """The caller's `encoder_outputs` (a `BaseModelOutput`, or a tuple whose first item is the
    last hidden state), else `model.encode(*encode_args)`."""
    if encoder_outputs is None:
        return model.encode(*encode_args)
    if isinstance(encoder_outputs, BaseModelOutput):
        return encoder_outputs
    return BaseModelOutput(last_hidden_state=encoder_outputs[0])


def seq2seq_output(
    output_class: type,
    encoder: BaseModelOutput,
    decoded: tuple,
    return_dict: bool | None,
    config: Any,
    **fields: Any,
) -> Any:
    """`output_class(**fields)` with the decoder's `(hidden, states, attentions, cross, ...)`
    and the encoder's outputs, finished for `return_dict`."""
    _, states, weights, cross = decoded[:4]
    outputs = output_class(
        **fields,
        decoder_hidden_states=states,
        decoder_attentions=weights,
        cross_attentions=cross,
        encoder_last_hidden_state=encoder.last_hidden_state,
        encoder_hidden_states=encoder.hidden_states,
        encoder_attentions=encoder.attentions,
    )
    return finish(outputs, return_dict, config)
