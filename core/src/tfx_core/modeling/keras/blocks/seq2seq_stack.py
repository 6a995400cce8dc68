"""What every Keras encoder-decoder shares, written once (BART family and T5).

- `DecoderStackMixin`: a stack's `run` (the layer loop that both `call` and the compiled
  generation loop use, with a static self-attention cache and cross-attention keys/values
  projected once) and its full-sequence `call`. A stack supplies `blocks()`, `embed(...)`,
  `finish(...)`, `cross_keys_values(...)` and, where its bias is not plain causal,
  `attention_bias(...)` (T5 adds its relative position bias there).
- `EncoderDecoderMixin`: the base model's `call`, `run_stacks` (encoder unless
  `encoder_outputs` are given, then decoder) and the `Seq2Seq*Output` fields both give.
- `output_flags` (from `keras.base`): the `output_attentions` / `output_hidden_states` a call
  resolves to.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.base import as_tensor, output_flags, unpack_inputs
from tfx_core.modeling.keras.layers import causal_bias, padding_bias
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    Seq2SeqModelOutput,
)

__all__ = [
    "DecoderStackMixin",
    "EncoderDecoderMixin",
    "as_encoder_output",
    "output_flags",
    "reject_unused",
]


def as_encoder_output(encoder_outputs: Any) -> BaseModelOutput:
    """A caller's tuple / tensor of encoder outputs as a `BaseModelOutput`."""
    if isinstance(encoder_outputs, (tuple, list)) and encoder_outputs:
        parts = [*encoder_outputs, None, None]
        return BaseModelOutput(
            last_hidden_state=as_tensor(parts[0]), hidden_states=parts[1], attentions=parts[2]
        )
    if hasattr(encoder_outputs, "last_hidden_state"):
        return BaseModelOutput(last_hidden_state=encoder_outputs.last_hidden_state)
    if hasattr(encoder_outputs, "shape"):
        return BaseModelOutput(last_hidden_state=as_tensor(encoder_outputs))
    raise ConfigError(
        "encoder_outputs must be the encoder's output, a tuple whose first item is its last "
        f"hidden state, or that tensor; got {type(encoder_outputs).__name__}."
    )


def reject_unused(model: Any, unused: dict[str, Any]) -> None:
    """A clear error for call arguments the TF model does not implement (`use_cache` is
    accepted and ignored: generate() keeps its own static cache)."""
    given = sorted(name for name, value in unused.items() if value is not None)
    given = [name for name in given if name != "use_cache"]
    if given:
        raise ConfigError(f"{type(model).__name__} (TensorFlow) does not take {', '.join(given)}.")


class DecoderStackMixin:
    """`run` and `call` of a stack whose layers take `(hidden, bias, cross_keys_values,
    cross_bias, cache, index, training)` and give `(hidden, cache, weights, cross weights)`."""

    def blocks(self) -> list:
        return self.layers  # type: ignore[attr-defined]

    def attention_bias(
        self, count: Any, length: Any, index: Any, attention_mask: Any, dtype: Any
    ) -> Any:
        """Self-attention bias of `count` tokens at positions `index...` over `length` keys."""
        return causal_bias(count, length, index, attention_mask, dtype)

    def run(
        self,
        input_ids: Any,
        bias: Any,
        cross: tuple | None = None,
        cross_bias: Any = None,
        cache: tuple | None = None,
        index: Any = 0,
        inputs_embeds: Any = None,
        training: bool = False,
        collect: dict | None = None,
        position_ids: Any = None,
    ) -> tuple[Any, tuple | None]:
        """Hidden states of the new tokens (at positions `index...`, unless `position_ids`
        says otherwise) and the updated cache."""
        hidden = self.embed(input_ids, inputs_embeds, index, training, position_ids)  # type: ignore[attr-defined]
        new_cache = []
        for i, layer in enumerate(self.blocks()):
            if collect is not None:
                collect["hidden"].append(hidden)
            hidden, layer_cache, weights, cross_weights = layer(
                hidden,
                bias=bias,
                cross_keys_values=cross[i] if cross is not None else None,
                cross_bias=cross_bias,
                cache=cache[i] if cache is not None else None,
                index=index,
                training=training,
            )
            new_cache.append(layer_cache)
            if collect is not None:
                collect["attentions"].append(weights)
                collect["cross"].append(cross_weights)
        hidden = self.finish(hidden, training)  # type: ignore[attr-defined]
        if collect is not None:
            collect["hidden"].append(hidden)
        return hidden, tuple(new_cache) if cache is not None else None

    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        encoder_hidden_states: Any = None,
        encoder_attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool = False,
        output_hidden_states: bool = False,
        training: bool = False,
    ) -> BaseModelOutputWithPastAndCrossAttentions:
        reference = input_ids if input_ids is not None else inputs_embeds
        check_length = getattr(self, "check_length", None)  # stacks with learned positions
        if reference is not None and check_length is not None:
            check_length(reference.shape[1])
        dtype = tf.as_dtype(self.compute_dtype)  # type: ignore[attr-defined]
        length = tf.shape(reference)[1]
        bias = self.attention_bias(length, length, 0, attention_mask, dtype)
        cross = cross_bias = None
        if encoder_hidden_states is not None:
            cross = self.cross_keys_values(encoder_hidden_states)  # type: ignore[attr-defined]
            cross_bias = padding_bias(encoder_attention_mask, dtype)
        collect: dict = {"hidden": [], "attentions": [], "cross": []}
        hidden, _ = self.run(
            input_ids, bias, cross, cross_bias, None, 0, inputs_embeds, training, collect
        )
        return BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden,
            hidden_states=tuple(collect["hidden"]) if output_hidden_states else None,
            attentions=tuple(collect["attentions"]) if output_attentions else None,
            cross_attentions=tuple(collect["cross"])
            if output_attentions and cross is not None
            else None,
        )


class EncoderDecoderMixin:
    """`run_stacks` over `self.encoder` and `self.decoder`, and the fields of their outputs."""

    def default_decoder_inputs(self, input_ids: Any) -> Any:
        """Decoder inputs when none are given (none by default: they are required)."""
        raise ConfigError(
            f"{type(self).__name__} needs decoder_input_ids (or decoder_inputs_embeds, or "
            "labels on the ...ForConditionalGeneration head)."
        )

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        decoder_input_ids: Any = None,
        decoder_attention_mask: Any = None,
        encoder_outputs: Any = None,
        inputs_embeds: Any = None,
        decoder_inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        training: bool = False,
        **unused: Any,
    ) -> Any:
        reject_unused(self, unused)
        encoder, decoder = self.run_stacks(
            input_ids,
            attention_mask,
            decoder_input_ids,
            decoder_attention_mask,
            encoder_outputs,
            inputs_embeds,
            decoder_inputs_embeds,
            output_flags(self.config, output_attentions, output_hidden_states),
            training,
        )
        out = Seq2SeqModelOutput(
            last_hidden_state=decoder.last_hidden_state, **self.seq2seq_fields(encoder, decoder)
        )
        return self._outputs(out, return_dict)

    def run_stacks(
        self,
        input_ids: Any,
        attention_mask: Any,
        decoder_input_ids: Any,
        decoder_attention_mask: Any,
        encoder_outputs: Any,
        inputs_embeds: Any,
        decoder_inputs_embeds: Any,
        flags: tuple[bool, bool],
        training: bool,
    ) -> tuple[Any, Any]:
        """Encoder (unless `encoder_outputs` are given) then decoder, as output objects."""
        input_ids, attention_mask = as_tensor(input_ids), as_tensor(attention_mask)
        decoder_input_ids = as_tensor(decoder_input_ids)
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = self.default_decoder_inputs(input_ids)
        if encoder_outputs is None:
            encoder_outputs = self.encoder(  # type: ignore[attr-defined]
                input_ids,
                attention_mask=attention_mask,
                inputs_embeds=as_tensor(inputs_embeds),
                output_attentions=flags[0],
                output_hidden_states=flags[1],
                training=training,
            )
        elif not isinstance(encoder_outputs, BaseModelOutput):
            encoder_outputs = as_encoder_output(encoder_outputs)
        decoder = self.decoder(  # type: ignore[attr-defined]
            decoder_input_ids,
            attention_mask=as_tensor(decoder_attention_mask),
            encoder_hidden_states=encoder_outputs.last_hidden_state,
            encoder_attention_mask=attention_mask,
            inputs_embeds=as_tensor(decoder_inputs_embeds),
            output_attentions=flags[0],
            output_hidden_states=flags[1],
            training=training,
        )
        return encoder_outputs, decoder

    @staticmethod
    def seq2seq_fields(encoder: Any, decoder: Any) -> dict[str, Any]:
        """The encoder's and decoder's fields of a `Seq2Seq*Output`."""
        return {
            "decoder_hidden_states": decoder.hidden_states,
            "decoder_attentions": decoder.attentions,
            "cross_attentions": decoder.cross_attentions,
            "encoder_last_hidden_state": encoder.last_hidden_state,
            "encoder_hidden_states": encoder.hidden_states,
            "encoder_attentions": encoder.attentions,
        }
