"""T5 and mT5 task heads in TensorFlow (Keras 3), named and computed as the PyTorch ones.

- `TFT5ForSequenceClassification`: `transformer` (a `TFT5Model`), then `classification_head`
  on the decoder state at each row's last `</s>`.
- `TFT5ForTokenClassification`: `transformer` (a `TFT5EncoderModel`), dropout, `classifier`.
- `TFT5ForQuestionAnswering`: `shared` / `encoder` / `decoder` at the top, `qa_outputs` over
  the decoder states.
Without decoder inputs, the sequence classifier and the QA head feed the decoder the input ids
shifted right, as the reference does.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras import TokenClassificationHead, as_tensor, unpack_inputs
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFClassificationHead, last_eos_states
from tfx_core.modeling.keras.blocks.seq2seq_model import reject_unused, shift_tokens_right
from tfx_core.modeling.keras.blocks.seq2seq_stack import output_flags
from tfx_core.modeling.keras.heads import span_outputs
from tfx_core.modeling.keras.layers import dense
from tfx_core.modeling.keras.losses import sequence_classification_loss
from tfx_core.modeling.outputs import (
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)
from tfx_plugin_t5.configuration_t5 import MT5Config
from tfx_plugin_t5.modeling_tf_t5 import (
    _ALIASES,
    TFT5EncoderDecoder,
    TFT5EncoderModel,
    TFT5Model,
    TFT5PreTrainedModel,
)

__all__ = [
    "TFMT5ForQuestionAnswering",
    "TFMT5ForSequenceClassification",
    "TFMT5ForTokenClassification",
    "TFT5ForQuestionAnswering",
    "TFT5ForSequenceClassification",
    "TFT5ForTokenClassification",
]


#: what `call` takes besides input_ids, labels and the output flags
_INPUTS = (
    "attention_mask",
    "decoder_input_ids",
    "decoder_attention_mask",
    "encoder_outputs",
    "inputs_embeds",
    "decoder_inputs_embeds",
)


def _run(
    model: Any, stack: Any, input_ids: Any, inputs: dict[str, Any], flags: tuple, training: bool
) -> tuple[Any, Any]:
    """`stack.run_stacks` (a `TFT5EncoderDecoder`) on the caller's inputs; without decoder inputs the
    decoder reads `input_ids` shifted right, as the reference does."""
    reject_unused(model, {k: v for k, v in inputs.items() if k not in _INPUTS})
    get = inputs.get
    decoder_ids = get("decoder_input_ids")
    if decoder_ids is None and get("decoder_inputs_embeds") is None:
        if input_ids is None:
            raise ConfigError(
                f"{type(model).__name__} needs input_ids, or decoder_input_ids with inputs_embeds."
            )
        config = model.config
        decoder_ids = shift_tokens_right(
            as_tensor(input_ids), config.pad_token_id, config.decoder_start_token_id
        )
    return stack.run_stacks(
        input_ids,
        get("attention_mask"),
        decoder_ids,
        get("decoder_attention_mask"),
        get("encoder_outputs"),
        get("inputs_embeds"),
        get("decoder_inputs_embeds"),
        flags,
        training,
    )


class TFT5ForSequenceClassification(TFT5PreTrainedModel):
    """Classification from the decoder state at each row's last `</s>`."""

    tied_weights: ClassVar[dict[str, str]] = {
        f"transformer.{alias}": f"transformer.{source}" for alias, source in _ALIASES.items()
    }

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.transformer = TFT5Model(config)
        self.classification_head = TFClassificationHead(
            config.d_model,
            config.d_model,
            config.num_labels,
            config.classifier_dropout,
            config.initializer_factor,
        )

    def get_input_embeddings(self) -> Any:
        return self.transformer.shared

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        labels: Any = None,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        return_dict: Any = None,
        training: bool = False,
        **inputs: Any,
    ) -> Any:
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} needs input_ids: it pools at the `</s>` tokens."
            )
        base = self.transformer
        flags = output_flags(self.config, output_attentions, output_hidden_states)
        encoder, decoder = _run(self, base, input_ids, inputs, flags, training)
        features = last_eos_states(decoder.last_hidden_state, input_ids, self.config.eos_token_id)
        logits = self.classification_head(features, training=training)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, as_tensor(labels), self.config)
        out = Seq2SeqSequenceClassifierOutput(
            loss=loss, logits=logits, **base.seq2seq_fields(encoder, decoder)
        )
        return self._outputs(out, return_dict)


class TFT5ForTokenClassification(TokenClassificationHead, TFT5PreTrainedModel):
    """A label per token from the encoder states; label -100 is ignored."""

    base_model_class: ClassVar[type] = TFT5EncoderModel
    tied_weights: ClassVar[dict[str, str]] = {
        "transformer.encoder.embed_tokens.weight": "transformer.shared.weight"
    }


class TFT5ForQuestionAnswering(TFT5EncoderDecoder):
    """Span start/end logits (`qa_outputs`) from the decoder states."""

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.qa_outputs = dense(config.d_model, config.num_labels, config.initializer_factor)

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        start_positions: Any = None,
        end_positions: Any = None,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        return_dict: Any = None,
        training: bool = False,
        **inputs: Any,
    ) -> Any:
        flags = output_flags(self.config, output_attentions, output_hidden_states)
        encoder, decoder = _run(self, self, input_ids, inputs, flags, training)
        logits = self.qa_outputs(decoder.last_hidden_state)
        out = Seq2SeqQuestionAnsweringModelOutput(
            **span_outputs(logits, start_positions, end_positions),
            **self.seq2seq_fields(encoder, decoder),
        )
        return self._outputs(out, return_dict)


class TFMT5ForSequenceClassification(TFT5ForSequenceClassification):
    config_class = MT5Config


class TFMT5ForTokenClassification(TFT5ForTokenClassification):
    config_class = MT5Config


class TFMT5ForQuestionAnswering(TFT5ForQuestionAnswering):
    config_class = MT5Config
