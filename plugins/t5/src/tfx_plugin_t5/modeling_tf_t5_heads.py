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
from tfx_core.modeling.keras import QuestionAnsweringHead, TokenClassificationHead, as_tensor
from tfx_core.modeling.keras.blocks.seq2seq_heads import (
    TFOwnStacksHead,
    TFSeq2SeqHead,
    TFSeq2SeqSequenceClassificationHead,
)
from tfx_core.modeling.keras.blocks.seq2seq_model import shift_tokens_right
from tfx_core.modeling.keras.layers import dense
from tfx_core.modeling.outputs import Seq2SeqQuestionAnsweringModelOutput
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


def _decoder_inputs(model: Any, input_ids: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    """Without decoder inputs the decoder reads `input_ids` shifted right, as the reference
    does."""
    if inputs.get("decoder_input_ids") is None and inputs.get("decoder_inputs_embeds") is None:
        if input_ids is None:
            raise ConfigError(
                f"{type(model).__name__} needs input_ids, or decoder_input_ids with inputs_embeds."
            )
        config = model.config
        inputs["decoder_input_ids"] = shift_tokens_right(
            as_tensor(input_ids), config.pad_token_id, config.decoder_start_token_id
        )
    return inputs


class TFT5ForSequenceClassification(TFSeq2SeqSequenceClassificationHead, TFT5PreTrainedModel):
    """Classification from the decoder state at each row's last `</s>`."""

    base_model_class: ClassVar[type] = TFT5Model
    base_model_prefix: ClassVar[str] = "transformer"
    tied_weights: ClassVar[dict[str, str]] = {
        f"transformer.{alias}": f"transformer.{source}" for alias, source in _ALIASES.items()
    }

    def base_inputs(self, input_ids, inputs, targets):
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} needs input_ids: it pools at the `</s>` tokens."
            )
        return input_ids, _decoder_inputs(self, input_ids, inputs)


class TFT5ForTokenClassification(TokenClassificationHead, TFT5PreTrainedModel):
    """A label per token from the encoder states; label -100 is ignored."""

    base_model_class: ClassVar[type] = TFT5EncoderModel
    tied_weights: ClassVar[dict[str, str]] = {
        "transformer.encoder.embed_tokens.weight": "transformer.shared.weight"
    }


class TFT5ForQuestionAnswering(
    TFOwnStacksHead, TFSeq2SeqHead, QuestionAnsweringHead, TFT5EncoderDecoder
):
    """Span start/end logits (`qa_outputs`) from the decoder states."""

    base_model_prefix: ClassVar[str] = "transformer"
    tied_weights: ClassVar[dict[str, str]] = _ALIASES
    output_class: ClassVar[type] = Seq2SeqQuestionAnsweringModelOutput

    def build_qa_outputs(self, config: Any) -> None:
        self.qa_outputs = dense(config.d_model, config.num_labels, config.initializer_factor)

    def base_inputs(self, input_ids, inputs, targets):
        return input_ids, _decoder_inputs(self, input_ids, inputs)


class TFMT5ForSequenceClassification(TFT5ForSequenceClassification):
    config_class = MT5Config


class TFMT5ForTokenClassification(TFT5ForTokenClassification):
    config_class = MT5Config


class TFMT5ForQuestionAnswering(TFT5ForQuestionAnswering):
    config_class = MT5Config
