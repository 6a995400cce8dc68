"""The BART-family base model and heads in nnx, mirroring `blocks.seq2seq_model` / `_heads`.

```python
class FlaxBartModel(FlaxSeq2SeqModel, FlaxBartPreTrainedModel):
    encoder_class, decoder_class = FlaxBartEncoder, FlaxBartDecoder
    derive_decoder_inputs = "shift"          # decoder_input_ids default: input_ids shifted right
class FlaxBartForConditionalGeneration(ConditionalGenerationHead, FlaxBartPreTrainedModel):
    base_model_class = FlaxBartModel
```
The base model holds `shared`, `encoder`, `decoder` (Marian with
`share_encoder_decoder_embeddings=False`: each stack its own `embed_tokens`, no `shared`);
heads hold it at `model`. `ConditionalGenerationHead` adds `lm_head` (tied to the token
embeddings unless `tie_word_embeddings` is off) plus `final_logits_bias`, and `generate`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax.base import FlaxPreTrainedModel
from tfx_core.modeling.flax.heads import TaskHead, finish, span_outputs
from tfx_core.modeling.flax.inputs import as_encoder_output, flag, optional_array, seq2seq_output
from tfx_core.modeling.flax.layers import dense, dropout, embed, lm_projection, vocab_logits
from tfx_core.modeling.flax.losses import cross_entropy, sequence_classification_loss
from tfx_core.modeling.flax.seq2seq import (
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    shift_tokens_right,
    shift_tokens_right_mbart,
)
from tfx_core.modeling.flax.seq2seq_generation import FlaxSeq2SeqGenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    Seq2SeqLMOutput,
    Seq2SeqModelOutput,
    Seq2SeqQuestionAnsweringModelOutput,
    Seq2SeqSequenceClassifierOutput,
)

Array = jax.Array
_EMBEDDINGS = ("encoder.embed_tokens.weight", "decoder.embed_tokens.weight")
_SEQ2SEQ_FIELDS = (
    "past_key_values",
    "decoder_hidden_states",
    "decoder_attentions",
    "cross_attentions",
    "encoder_last_hidden_state",
    "encoder_hidden_states",
    "encoder_attentions",
)


def shares_embeddings(config: Any) -> bool:
    return bool(getattr(config, "share_encoder_decoder_embeddings", True))


class _AliasReader:
    """A checkpoint reader that also answers for `extra` keys, from another key's tensor."""

    def __init__(self, reader: Any, extra: dict[str, str]) -> None:
        self.reader, self.extra = reader, extra

    def keys(self) -> list[str]:
        return [*self.reader.keys(), *self.extra]

    def shape(self, key: str) -> tuple[int, ...]:
        return self.reader.shape(self.extra.get(key, key))

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
        return self.reader.get(self.extra.get(key, key), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)


class FlaxSeq2SeqPreTrainedModel(FlaxPreTrainedModel):
    """Base of a BART-family architecture's Flax classes: ties, fixed position tables."""

    base_model_prefix: ClassVar[str] = "model"
    tied_keys: ClassVar[tuple[str, ...]] = ("lm_head.weight",)
    #: write the fixed sinusoidal tables, as the reference does for Pegasus (not Marian)
    save_fixed_positions: ClassVar[bool] = False
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embed_positions\.weights?$"]

    def _load_from_reader(self, reader: Any, dtype: Any, seed: int, device: Any) -> Any:
        """Checkpoints that keep the tied token embeddings under another name only (e.g.
        `facebook/bart-large-cnn`: `decoder.embed_tokens`) fill `shared` from it."""
        if shares_embeddings(self.config):
            present = set(reader.keys())
            for prefix in ("model.", ""):
                if f"{prefix}shared.weight" in present:
                    break
                for side in ("decoder", "encoder"):
                    source = f"{prefix}{side}.embed_tokens.weight"
                    if source in present:
                        reader = _AliasReader(reader, {f"{prefix}shared.weight": source})
                        break
                else:
                    continue
                break
        return super()._load_from_reader(reader, dtype, seed, device)

    def _alias_keys(self) -> set[str]:
        keys = super()._alias_keys()
        if shares_embeddings(self.config):
            keys.update(_EMBEDDINGS)
            keys.update(f"model.{key}" for key in _EMBEDDINGS)
        return keys

    def state_dict(self) -> dict[str, np.ndarray]:
        tensors = super().state_dict()
        if self.save_fixed_positions:
            base = getattr(self, self.base_model_prefix, None) or self
            prefix = "model." if base is not self else ""
            for side in ("encoder", "decoder"):
                tables = getattr(base, side).fixed_tables(f"{prefix}{side}.")
                tensors.update({k: v.astype(self.param_dtype) for k, v in tables.items()})
        return tensors


class FlaxSeq2SeqModel:
    """The base model (mixed in before the plugin's `FlaxSeq2SeqPreTrainedModel` subclass)."""

    encoder_class: ClassVar[type[nnx.Module]] = Seq2SeqEncoder
    decoder_class: ClassVar[type[nnx.Module]] = Seq2SeqDecoder
    #: without decoder inputs: None (required), "shift" (BART) or "mbart" (language code first)
    derive_decoder_inputs: ClassVar[str | None] = None

    def __init__(self, config: Any, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype)  # type: ignore[call-arg]
        shares = shares_embeddings(config)
        std = float(getattr(config, "init_std", 0.02))
        self.shared = (
            embed(config.vocab_size, config.d_model, std=std, dtype=dtype, rngs=rngs)
            if shares
            else None
        )
        self.encoder = self.encoder_class(config, own_embeddings=not shares, dtype=dtype, rngs=rngs)
        self.decoder = self.decoder_class(config, own_embeddings=not shares, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.shared if self.shared is not None else self.encoder.embed_tokens

    def decoder_embeddings(self) -> nnx.Embed:
        return self.shared if self.shared is not None else self.decoder.embed_tokens

    def encode(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ) -> BaseModelOutput:
        config = self.config  # type: ignore[attr-defined]
        hidden, states, weights = self.encoder(
            optional_array(input_ids),
            optional_array(attention_mask),
            inputs_embeds=inputs_embeds,
            shared=self.shared,
            output_hidden_states=flag(output_hidden_states, config.output_hidden_states),
            output_attentions=flag(output_attentions, config.output_attentions),
        )
        return BaseModelOutput(last_hidden_state=hidden, hidden_states=states, attentions=weights)

    def default_decoder_inputs(self, input_ids: Any) -> Array:
        config = self.config  # type: ignore[attr-defined]
        if self.derive_decoder_inputs is None or input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} needs decoder_input_ids (or decoder_inputs_embeds, or "
                "labels on the ...ForConditionalGeneration head)."
            )
        if self.derive_decoder_inputs == "mbart":
            return shift_tokens_right_mbart(input_ids, config.pad_token_id)
        return shift_tokens_right(input_ids, config.pad_token_id, config.decoder_start_token_id)

    def __call__(
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
    ) -> Any:
        config = self.config  # type: ignore[attr-defined]
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            decoder_input_ids = self.default_decoder_inputs(input_ids)
        encoder = as_encoder_output(
            self,
            encoder_outputs,
            input_ids,
            attention_mask,
            inputs_embeds,
            output_attentions,
            output_hidden_states,
        )
        decoded = self.decoder(
            optional_array(decoder_input_ids),
            optional_array(decoder_attention_mask),
            encoder.last_hidden_state,
            optional_array(attention_mask),
            inputs_embeds=decoder_inputs_embeds,
            shared=self.shared,
            output_hidden_states=flag(output_hidden_states, config.output_hidden_states),
            output_attentions=flag(output_attentions, config.output_attentions),
        )
        return seq2seq_output(
            Seq2SeqModelOutput, encoder, decoded, return_dict, config, last_hidden_state=decoded[0]
        )


class _Seq2SeqHead(TaskHead):
    dropout_fields = None

    def run_base(self, kwargs: dict[str, Any]) -> Seq2SeqModelOutput:
        return self.model(**kwargs, return_dict=True)

    def seq2seq_output(self, base: Any, return_dict: bool | None, **fields: Any) -> Any:
        for name in _SEQ2SEQ_FIELDS:
            if name in self.output_class.__dataclass_fields__:
                fields.setdefault(name, getattr(base, name, None))
        return finish(self.output_class(**fields), return_dict, self.config)


class ConditionalGenerationHead(FlaxSeq2SeqGenerationMixin, _Seq2SeqHead):
    """Seq2seq language modelling: `lm_head(decoder states) + final_logits_bias`; `generate`."""

    output_class = Seq2SeqLMOutput
    use_final_logits_bias: ClassVar[bool] = True

    def build_head(self, config: Any, dtype: Any, rngs: nnx.Rngs) -> None:
        vocab = self.model.decoder_embeddings().num_embeddings
        self.final_logits_bias = (
            nnx.Param(jnp.zeros((1, vocab), dtype)) if self.use_final_logits_bias else None
        )
        tied = getattr(config, "tie_word_embeddings", True)
        std = float(getattr(config, "init_std", 0.02))
        self.lm_head = lm_projection(tied, config.d_model, vocab, std=std, dtype=dtype, rngs=rngs)

    def shift_labels(self, labels: Any) -> Array:
        config = self.config
        return shift_tokens_right(labels, config.pad_token_id, config.decoder_start_token_id)

    def lm_logits(self, hidden: Array) -> Array:
        logits = vocab_logits(self.lm_head, self.model.decoder_embeddings(), hidden)
        if self.final_logits_bias is not None:
            logits = logits + self.final_logits_bias[...].astype(logits.dtype)
        return logits

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        decoder_input_ids: Any = None,
        decoder_attention_mask: Any = None,
        labels: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        derive = decoder_input_ids is None and kwargs.get("decoder_inputs_embeds") is None
        if labels is not None and derive:
            decoder_input_ids = self.shift_labels(labels)
        base = self.run_base(
            dict(
                input_ids=input_ids,
                attention_mask=attention_mask,
                decoder_input_ids=decoder_input_ids,
                decoder_attention_mask=decoder_attention_mask,
                **kwargs,
            )
        )
        logits = self.lm_logits(base.last_hidden_state)
        loss = cross_entropy(logits, labels) if labels is not None else None
        return self.seq2seq_output(base, return_dict, loss=loss, logits=logits)

    # ------------------------------------------------------------ generation hooks
    def _seq2seq_base(self) -> Any:
        return self.model

    def _run_decoder(self, input_ids, position_ids, key_mask, *, cache=None, index=0, encoder=None):
        states, mask = encoder if encoder is not None else (None, None)
        base = self.model
        hidden, _, _, _, cache = base.decoder(
            input_ids,
            key_mask,
            states,
            mask,
            shared=base.shared,
            positions=position_ids,
            cache=cache,
            cache_index=index,
        )
        return hidden, cache


class ClassificationHead(nnx.Module):
    """`out_proj(dropout(tanh(dense(dropout(x)))))`: BART's sentence classifier."""

    def __init__(self, config: Any, *, dtype: Any, rngs: nnx.Rngs) -> None:
        dim, std = config.d_model, float(getattr(config, "init_std", 0.02))
        self.dense = dense(dim, dim, std=std, dtype=dtype, rngs=rngs)
        self.out_proj = dense(dim, config.num_labels, std=std, dtype=dtype, rngs=rngs)
        self.dropout = dropout(float(getattr(config, "classifier_dropout", 0.0) or 0.0), rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.out_proj(self.dropout(jnp.tanh(self.dense(self.dropout(hidden)))))


def last_eos_states(hidden: Array, input_ids: Any, eos_token_id: int) -> Array:
    """The state at each row's last `eos_token_id` (rows must hold the same number >= 1)."""
    ids = np.asarray(input_ids)
    counts = (ids == eos_token_id).sum(1)
    if counts.size and (counts.min() == 0 or counts.min() != counts.max()):
        raise ConfigError(
            "All examples must have the same number of <eos> tokens (and at least one): "
            "encode them with the model's tokenizer, which ends each text with </s>."
        )
    last = ids.shape[1] - 1 - np.argmax((ids == eos_token_id)[:, ::-1], axis=1)
    return hidden[jnp.arange(hidden.shape[0]), jnp.asarray(last)]


class Seq2SeqSequenceClassificationHead(_Seq2SeqHead):
    """Classifies from the decoder state at each row's last end-of-sequence token."""

    output_class = Seq2SeqSequenceClassifierOutput

    def build_head(self, config: Any, dtype: Any, rngs: nnx.Rngs) -> None:
        self.num_labels = config.num_labels
        self.classification_head = ClassificationHead(config, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        labels: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        if input_ids is None:
            raise ConfigError(
                f"{type(self).__name__} reads the </s> positions from input_ids: pass input_ids."
            )
        base = self.run_base(dict(input_ids=input_ids, attention_mask=attention_mask, **kwargs))
        features = last_eos_states(base.last_hidden_state, input_ids, self.config.eos_token_id)
        logits = self.classification_head(features)
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        return self.seq2seq_output(base, return_dict, loss=loss, logits=logits)


class Seq2SeqQuestionAnsweringHead(_Seq2SeqHead):
    """Extractive QA: start/end logits from the decoder states (`qa_outputs`)."""

    output_class = Seq2SeqQuestionAnsweringModelOutput

    def build_head(self, config: Any, dtype: Any, rngs: nnx.Rngs) -> None:
        std = float(getattr(config, "init_std", 0.02))
        self.qa_outputs = dense(config.d_model, 2, std=std, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        start_positions: Any = None,
        end_positions: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(kwargs)
        logits = self.qa_outputs(base.last_hidden_state)
        fields = span_outputs(logits, start_positions, end_positions)
        return self.seq2seq_output(base, return_dict, **fields)


__all__ = [
    "ClassificationHead",
    "ConditionalGenerationHead",
    "FlaxSeq2SeqModel",
    "FlaxSeq2SeqPreTrainedModel",
    "Seq2SeqQuestionAnsweringHead",
    "Seq2SeqSequenceClassificationHead",
    "last_eos_states",
    "shares_embeddings",
]
