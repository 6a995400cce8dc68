"""T5 / mT5 task heads in Flax nnx, with the reference's names (one checkpoint for both).

```
...ForSequenceClassification   transformer (a T5Model) + classification_head.{dense,out_proj}:
                               the decoder state at each row's last </s>
...ForTokenClassification      transformer (a T5EncoderModel) + dropout + classifier
...ForQuestionAnswering        shared, encoder, decoder (top level) + qa_outputs
```
Without decoder inputs, the classification and QA heads feed the decoder the input ids shifted
right (the reference's `_shift_right`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import heads
from tfx_core.modeling.flax.heads import span_outputs
from tfx_core.modeling.flax.inputs import seq2seq_output
from tfx_core.modeling.flax.layers import dense
from tfx_core.modeling.flax.losses import sequence_classification_loss
from tfx_core.modeling.flax.seq2seq import shift_tokens_right
from tfx_core.modeling.flax.seq2seq_model import ClassificationHead, last_eos_states
from tfx_core.modeling.outputs import (
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)
from tfx_plugin_t5.configuration_t5 import MT5Config, T5Config
from tfx_plugin_t5.modeling_flax_t5 import (
    FlaxT5EncoderModel,
    FlaxT5Model,
    FlaxT5PreTrainedModel,
)

__all__ = [
    "FlaxMT5ForQuestionAnswering",
    "FlaxMT5ForSequenceClassification",
    "FlaxMT5ForTokenClassification",
    "FlaxT5ForQuestionAnswering",
    "FlaxT5ForSequenceClassification",
    "FlaxT5ForTokenClassification",
]


def _shifted_inputs(model: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`decoder_input_ids` defaulted to `input_ids` shifted right (when no decoder inputs)."""
    if kwargs.get("decoder_input_ids") is None and kwargs.get("decoder_inputs_embeds") is None:
        input_ids = kwargs.get("input_ids")
        if input_ids is None:
            raise ConfigError(
                f"{type(model).__name__} needs decoder_input_ids or decoder_inputs_embeds when "
                "called without input_ids."
            )
        config = model.config
        kwargs = {
            **kwargs,
            "decoder_input_ids": shift_tokens_right(
                jnp.asarray(input_ids), config.pad_token_id, config.decoder_start_token_id
            ),
        }
    return kwargs


class FlaxT5ForSequenceClassification(FlaxT5PreTrainedModel):
    """Classification from the decoder state at each row's last `</s>` (every row must hold
    the same number of `</s>`, as in the reference)."""

    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^(transformer\.)?lm_head\.",
        *FlaxT5PreTrainedModel.ignore_unexpected_keys,
    ]

    def __init__(self, config: T5Config, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype)
        self.num_labels = config.num_labels
        self.transformer = FlaxT5Model(config, dtype=dtype, rngs=rngs)
        self.classification_head = ClassificationHead(config, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.transformer.shared

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        input_ids = kwargs.get("input_ids")
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} reads the </s> positions from input_ids: pass input_ids."
            )
        base = self.transformer
        encoder, decoded = base.run(**_shifted_inputs(self, kwargs))
        features = last_eos_states(decoded[0], input_ids, self.config.eos_token_id)
        logits = self.classification_head(features)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, jnp.asarray(labels), self.config)
        return seq2seq_output(
            Seq2SeqSequenceClassifierOutput,
            encoder,
            decoded,
            return_dict,
            self.config,
            loss=loss,
            logits=logits,
        )


class FlaxT5ForTokenClassification(heads.TokenClassificationHead, FlaxT5PreTrainedModel):
    """A label per token from the encoder (`transformer` = `T5EncoderModel`, `classifier`)."""

    base_model_class = FlaxT5EncoderModel
    dropout_fields = ("classifier_dropout",)
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"^(transformer\.)?decoder\.",
        r"^(transformer\.)?lm_head\.",
    ]


class FlaxT5ForQuestionAnswering(FlaxT5Model):
    """Span start/end logits (`qa_outputs`) from the decoder states."""

    output_class: ClassVar[type] = Seq2SeqQuestionAnsweringModelOutput

    def build_head(self, config: T5Config, dtype: Any, rngs: nnx.Rngs) -> None:
        self.num_labels = config.num_labels
        std = float(config.initializer_factor)
        self.qa_outputs = dense(config.d_model, config.num_labels, std=std, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        start_positions: Any = None,
        end_positions: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        encoder, decoded = self.run(**_shifted_inputs(self, kwargs))
        fields = span_outputs(self.qa_outputs(decoded[0]), start_positions, end_positions)
        return self.seq2seq_output(encoder, decoded, return_dict, **fields)


class FlaxMT5ForSequenceClassification(FlaxT5ForSequenceClassification):
    config_class = MT5Config


class FlaxMT5ForTokenClassification(FlaxT5ForTokenClassification):
    config_class = MT5Config


class FlaxMT5ForQuestionAnswering(FlaxT5ForQuestionAnswering):
    config_class = MT5Config
