"""The heads of the BART-family encoder-decoders in Keras, written once.

```python
class TFBartForConditionalGeneration(TFConditionalGenerationHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel
class TFBartForSequenceClassification(TFSeq2SeqSequenceClassificationHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel
```
- `TFConditionalGenerationHead`: `lm_head` (tied to `model.shared`, or to the decoder's own
  embeddings for Marian without shared vocabularies) plus `final_logits_bias`; labels shift
  into decoder inputs through `shift_labels`; XLA-compiled `generate` (`seq2seq_generation`).
- `TFSeq2SeqSequenceClassificationHead`: the decoder state at each row's last `</s>`, then
  `classification_head.{dense, out_proj}` with tanh.
- `TFSeq2SeqQuestionAnsweringHead`: `qa_outputs` over the decoder states.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import as_tensor
from tfx_core.modeling.keras.blocks.decoder import empty_cache
from tfx_core.modeling.keras.blocks.seq2seq_model import shares_embeddings, shift_tokens_right
from tfx_core.modeling.keras.blocks.seq2seq_stack import EncoderDecoderMixin
from tfx_core.modeling.keras.heads import (
    HeadModel,
    MaskedLMHead,
    QuestionAnsweringHead,
    SequenceClassificationHead,
    init_std,
)
from tfx_core.modeling.keras.layers import (
    TiedProjection,
    dense,
    dropout,
)
from tfx_core.modeling.keras.seq2seq_generation import TFSeq2SeqGenerationMixin
from tfx_core.modeling.outputs import (
    Seq2SeqLMOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)

__all__ = [
    "TFClassificationHead",
    "TFConditionalGenerationHead",
    "TFOwnStacksHead",
    "TFSeq2SeqHead",
    "TFSeq2SeqLMHead",
    "TFSeq2SeqQuestionAnsweringHead",
    "TFSeq2SeqSequenceClassificationHead",
]

_FIELDS = (
    "decoder_hidden_states",
    "decoder_attentions",
    "cross_attentions",
    "encoder_last_hidden_state",
    "encoder_hidden_states",
    "encoder_attentions",
)


class TFSeq2SeqHead(HeadModel):
    """A head over the encoder-decoder at `base_model_prefix`, keeping its embedding aliases;
    its outputs carry the encoder's and decoder's fields."""

    base_model_prefix: ClassVar[str] = "model"

    @property
    def tied_weights(self) -> dict[str, str]:  # type: ignore[override]
        return dict(self.base_model.tied_weights)

    def output_fields(self, base: Any) -> dict[str, Any]:
        return {name: getattr(base, name, None) for name in _FIELDS}

    def _run_base(
        self,
        input_ids: Any,
        inputs: dict[str, Any],
        training: bool,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
    ) -> Any:
        flags = {
            "output_attentions": output_attentions,
            "output_hidden_states": output_hidden_states,
        }
        flags = {key: value for key, value in flags.items() if value is not None}
        return self.base_call(
            input_ids=input_ids, training=training, return_dict=True, **inputs, **flags
        )

    def base_call(self, **kwargs: Any) -> Any:
        return self.base_model(**kwargs)


class TFOwnStacksHead:
    """Mixed in before `TFSeq2SeqHead` where the model is its own encoder-decoder (T5's
    `shared` / `encoder` / `decoder` at the top, no base model attribute): the base run is the
    model's `EncoderDecoderMixin.call`."""

    base_model_class: ClassVar[type | None] = None
    #: the call whose keywords the model takes (what the pipelines' `TorchView` inspects)
    signature_call: ClassVar[Any] = EncoderDecoderMixin.call

    @property
    def base_model(self) -> Any:
        return self

    def base_call(self, **kwargs: Any) -> Any:
        return EncoderDecoderMixin.call(self, **kwargs)


class TFSeq2SeqLMHead(TFSeq2SeqHead, MaskedLMHead):
    """Seq2seq language modelling: labels shifted right feed the decoder when it has no
    inputs; the architecture gives `lm_logits`."""

    output_class: ClassVar[type] = Seq2SeqLMOutput

    def shift_labels(self, labels: Any) -> Any:
        """Decoder inputs for teacher forcing when only `labels` are given."""
        config = self.config
        return shift_tokens_right(labels, config.pad_token_id, config.decoder_start_token_id)

    def lm_inputs(self, inputs: dict[str, Any], labels: Any) -> dict[str, Any]:
        """Without decoder inputs, `labels` shifted right feed the decoder (teacher forcing)."""
        derive = (
            inputs.get("decoder_input_ids") is None and inputs.get("decoder_inputs_embeds") is None
        )
        if labels is not None and derive:
            inputs["decoder_input_ids"] = self.shift_labels(as_tensor(labels))
        return inputs


class TFConditionalGenerationHead(TFSeq2SeqGenerationMixin, TFSeq2SeqLMHead):
    """Seq2seq language modelling: `lm_head(decoder states) + final_logits_bias`."""

    use_final_logits_bias: ClassVar[bool] = True

    @property
    def ignore_missing_keys(self) -> list[str]:  # type: ignore[override]
        """The architecture's patterns, plus `final_logits_bias` (zeros when a file lacks it)."""
        return [*super().ignore_missing_keys, r"final_logits_bias$"]

    def __init__(self, config: Any, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        shared = shares_embeddings(config)
        embeddings = self.model.shared if shared else self.model.decoder.embed_tokens
        tied = shared or bool(getattr(config, "tie_word_embeddings", True))
        self.lm_head = TiedProjection(embeddings, tied=tied, std=getattr(config, "init_std", 0.02))
        if self.use_final_logits_bias:
            self.final_logits_bias = self.add_weight(
                shape=(1, embeddings.input_dim),
                initializer="zeros",
                trainable=False,
                name="final_logits_bias",
            )

    @property
    def tied_weights(self) -> dict[str, str]:  # type: ignore[override]
        aliases = dict(self.model.tied_weights)
        if not self.lm_head.tied:
            return aliases
        if shares_embeddings(self.config):
            aliases["lm_head.weight"] = "model.shared.weight"
        else:
            aliases["lm_head.weight"] = "model.decoder.embed_tokens.weight"
        return aliases

    def lm_logits(self, hidden: Any) -> Any:
        logits = self.lm_head(hidden)
        if self.use_final_logits_bias:
            logits = logits + tf.cast(self.final_logits_bias, logits.dtype)
        return logits

    # ------------------------------------------------------------------ generation hooks
    def _encoder_limit(self) -> int | None:
        return self.model.encoder.max_positions

    def _decoder_limit(self) -> int | None:
        return self.model.decoder.max_positions

    def seq2seq_stacks(self) -> tuple[Any, Any]:
        return self.model.encoder, self.model.decoder

    def init_cache(self, rows: Any, length: int) -> tuple:
        config = self.config
        heads = config.decoder_attention_heads
        dtype = tf.as_dtype(self.compute_dtype)
        return empty_cache(
            config.decoder_layers, rows, length, heads, config.d_model // heads, dtype
        )


class TFClassificationHead(keras.layers.Layer):
    """`out_proj(dropout(tanh(dense(dropout(x)))))`: BART's sentence classifier."""

    def __init__(self, dim: int, inner: int, classes: int, rate: float, std: float, **kw: Any):
        super().__init__(**kw)
        self.dense = dense(dim, inner, std)
        self.dropout = dropout(rate)
        self.out_proj = dense(inner, classes, std)

    def call(self, hidden: Any, training: bool = False) -> Any:
        hidden = tf.tanh(self.dense(self.dropout(hidden, training=training)))
        return self.out_proj(self.dropout(hidden, training=training))


def last_eos_states(hidden: Any, input_ids: Any, eos_token_id: int) -> Any:
    """The state at each row's last `eos_token_id` (every row must hold the same count >= 1)."""
    is_eos = tf.cast(tf.equal(tf.cast(input_ids, tf.int32), eos_token_id), tf.int32)
    counts = tf.reduce_sum(is_eos, axis=1).numpy() if tf.executing_eagerly() else None
    if counts is not None and (counts.min() == 0 or counts.min() != counts.max()):
        raise ConfigError(
            "All examples must have the same number of <eos> tokens (and at least one): encode "
            "them with the model's tokenizer, which ends each text with </s>."
        )
    length = tf.shape(is_eos)[1]
    last = tf.argmax(is_eos * tf.range(1, length + 1)[None], axis=1, output_type=tf.int32)
    return tf.gather(hidden, last, batch_dims=1)


class TFSeq2SeqSequenceClassificationHead(TFSeq2SeqHead, SequenceClassificationHead):
    """Classifies from the decoder state at each row's last end-of-sequence token."""

    classification_head_class: ClassVar[type] = TFClassificationHead
    output_class: ClassVar[type] = Seq2SeqSequenceClassifierOutput

    def build_classifier(self, config: Any) -> None:
        self.classification_head = self.classification_head_class(
            config.d_model,
            config.d_model,
            config.num_labels,
            config.classifier_dropout or 0.0,
            init_std(config),
        )

    def classify(self, base: Any, input_ids: Any, training: bool) -> Any:
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} reads the </s> positions from input_ids: pass input_ids."
            )
        features = last_eos_states(base.last_hidden_state, input_ids, self.config.eos_token_id)
        return self.classification_head(features, training=training)


class TFSeq2SeqQuestionAnsweringHead(TFSeq2SeqHead, QuestionAnsweringHead):
    """Extractive QA: start/end logits from the decoder states (`qa_outputs`)."""

    output_class: ClassVar[type] = Seq2SeqQuestionAnsweringModelOutput

    def __init__(self, config: Any, **kwargs: Any) -> None:
        config.num_labels = 2
        super().__init__(config, **kwargs)

    def build_qa_outputs(self, config: Any) -> None:
        self.qa_outputs = dense(config.d_model, 2, getattr(config, "init_std", 0.02))
