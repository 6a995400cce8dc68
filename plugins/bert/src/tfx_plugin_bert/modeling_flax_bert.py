"""BERT in Flax nnx: the same module tree and checkpoint names as `modeling_bert`.

The encoder layers are the core's post-norm blocks (`tfx_core.modeling.flax.blocks`); what is
BERT's own is here: the embeddings, the pre-training heads and which head reads what.
Absolute position embeddings only (`position_embedding_type="absolute"`), like most checkpoints.
With `is_decoder=True` the layers are causal and `FlaxBertLMHeadModel.generate` decodes with
the core's preallocated KV cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import (
    FlaxGenerationMixin,
    FlaxPreTrainedModel,
    blocks,
    heads,
    layers,
    losses,
)
from tfx_core.modeling.outputs import (
    BaseModelOutputWithPoolingAndPast,
    ModelOutput,
    NextSentencePredictorOutput,
)
from tfx_plugin_bert.configuration_bert import BertConfig

Array = jax.Array


class FlaxBertEmbeddings(nnx.Module):
    """Word + position + token-type embeddings, then LayerNorm and dropout."""

    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std, hidden = config.initializer_range, config.hidden_size
        self.word_embeddings = layers.embed(
            config.vocab_size, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.position_embeddings = layers.embed(
            config.max_position_embeddings, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.token_type_embeddings = layers.embed(
            config.type_vocab_size, hidden, std=std, dtype=dtype, rngs=rngs
        )
        self.LayerNorm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)
        self.dropout = layers.dropout(config.hidden_dropout_prob, rngs)
        self.max_positions = config.max_position_embeddings

    def __call__(
        self,
        input_ids: Array,
        token_type_ids: Array | None,
        position_ids: Array | None,
        past_length: Any = 0,
    ) -> Array:
        length = input_ids.shape[1]
        if position_ids is None:
            if length > self.max_positions:
                raise ConfigError(
                    f"The input has {length} positions but this model handles at most "
                    f"{self.max_positions} (max_position_embeddings): truncate it "
                    "(e.g. tokenizer(..., truncation=True))."
                )
            position_ids = jnp.arange(length)[None] + past_length
        if token_type_ids is None:
            token_type_ids = jnp.zeros_like(input_ids)
        hidden = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(position_ids)
        )
        return self.dropout(self.LayerNorm(hidden))


class FlaxBertPredictionHeadTransform(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden = config.hidden_size
        self.dense = layers.dense(
            hidden, hidden, std=config.initializer_range, dtype=dtype, rngs=rngs
        )
        self.transform_act_fn = layers.activation_fn(config.hidden_act)
        self.LayerNorm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden)))


class FlaxBertLMPredictionHead(nnx.Module):
    """transform, then the vocabulary projection: the word embeddings when tied (the
    reference's default), else its own `decoder`; plus the output `bias`."""

    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.transform = FlaxBertPredictionHeadTransform(config, dtype=dtype, rngs=rngs)
        self.decoder = None
        if not config.tie_word_embeddings:
            self.decoder = layers.dense(
                config.hidden_size,
                config.vocab_size,
                std=config.initializer_range,
                use_bias=False,
                dtype=dtype,
                rngs=rngs,
            )
        self.bias = nnx.Param(jnp.zeros((config.vocab_size,), dtype))

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        hidden = self.transform(hidden)
        if self.decoder is None:
            logits = layers.attend(word_embeddings, hidden)
        else:
            logits = self.decoder(hidden)
        return logits + self.bias[...]


class FlaxBertOnlyMLMHead(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.predictions = FlaxBertLMPredictionHead(config, dtype=dtype, rngs=rngs)

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        return self.predictions(hidden, word_embeddings)


class FlaxBertOnlyNSPHead(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std = config.initializer_range
        self.seq_relationship = layers.dense(config.hidden_size, 2, std=std, dtype=dtype, rngs=rngs)

    def __call__(self, pooled: Array) -> Array:
        return self.seq_relationship(pooled)


class FlaxBertPreTrainingHeads(nnx.Module):
    def __init__(self, config: BertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std = config.initializer_range
        self.predictions = FlaxBertLMPredictionHead(config, dtype=dtype, rngs=rngs)
        self.seq_relationship = layers.dense(config.hidden_size, 2, std=std, dtype=dtype, rngs=rngs)


@dataclass(repr=False, eq=False)
class FlaxBertForPreTrainingOutput(ModelOutput):
    loss: Any = None
    prediction_logits: Any = None
    seq_relationship_logits: Any = None
    hidden_states: tuple | None = None
    attentions: tuple | None = None


# ---------------------------------------------------------------------------- models
_MLM_TIES = ("cls.predictions.decoder.weight",)
_MLM_SHARED = ("cls.predictions.decoder.bias",)
_NO_POOLER = [r"(^|\.)pooler\."]


class FlaxBertPreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[BertConfig]] = BertConfig
    base_model_prefix: ClassVar[str] = "bert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"(^|\.)embeddings\.position_ids$"]


class FlaxBertModel(FlaxBertPreTrainedModel):
    """Embeddings, `num_hidden_layers` post-norm layers, and the pooler (optional).

    With `config.is_decoder` the self-attention is causal (`FlaxBertLMHeadModel`).
    """

    def __init__(
        self,
        config: BertConfig,
        *,
        dtype: Any = jnp.float32,
        rngs: nnx.Rngs,
        add_pooling_layer: bool = True,
    ) -> None:
        super().__init__(config, dtype=dtype)
        if config.position_embedding_type != "absolute":
            raise ConfigError(
                f"The Flax BERT supports position_embedding_type='absolute' only, got "
                f"{config.position_embedding_type!r}: use the PyTorch model for this checkpoint."
            )
        if getattr(config, "add_cross_attention", False):
            raise ConfigError(
                "BertConfig field 'add_cross_attention' is true: BERT as the decoder of an "
                "encoder-decoder model is not supported by tfx-plugin-bert."
            )
        self.embeddings = FlaxBertEmbeddings(config, dtype=dtype, rngs=rngs)
        self.encoder = blocks.Encoder(config, dtype=dtype, rngs=rngs)
        self.pooler = blocks.Pooler(config, dtype=dtype, rngs=rngs) if add_pooling_layer else None

    def get_input_embeddings(self) -> nnx.Embed:
        return self.embeddings.word_embeddings

    def init_cache(self, batch: int, max_length: int) -> tuple | None:
        """Zeroed keys/values for `max_length` positions per layer (None unless `is_decoder`:
        a bidirectional encoder cannot reuse earlier positions)."""
        if not self.config.is_decoder:
            return None
        return self.encoder.init_cache(batch, max_length, self.param_dtype)

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        *,
        cache: tuple | None = None,
        cache_index: Any = 0,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        """With `cache` (from `init_cache`), the tokens are written at `cache_index` and attend
        to every earlier cached position that `attention_mask` (`[batch, max_length]`) keeps."""
        if input_ids is None:
            raise ConfigError("Pass input_ids ([batch, length] token ids).")
        input_ids = jnp.asarray(input_ids)
        token_type_ids = None if token_type_ids is None else jnp.asarray(token_type_ids)
        position_ids = None if position_ids is None else jnp.asarray(position_ids)
        hidden = self.embeddings(input_ids, token_type_ids, position_ids, cache_index)
        bias = blocks.decoder_bias(self.config, hidden.shape[1], attention_mask, cache, cache_index)
        hidden, states, weights, cache = self.encoder(
            hidden,
            bias,
            cache=cache,
            cache_index=cache_index,
            output_hidden_states=_flag(output_hidden_states, self.config.output_hidden_states),
            output_attentions=_flag(output_attentions, self.config.output_attentions),
        )
        outputs = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            past_key_values=cache,
            hidden_states=states,
            attentions=weights,
        )
        return heads.finish(outputs, return_dict, self.config)


def _flag(value: bool | None, default: bool) -> bool:
    return bool(default if value is None else value)


class FlaxBertForMaskedLM(heads.MaskedLMHead, FlaxBertPreTrainedModel):
    """Masked-token prediction over the vocabulary (`fill-mask`)."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    tied_keys = _MLM_TIES
    shared_keys = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
        r"^cls\.seq_relationship\.",
    ]

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertOnlyMLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.cls(hidden, self.bert.embeddings.word_embeddings)


class FlaxBertLMHeadModel(FlaxGenerationMixin, heads.CausalLMHead, FlaxBertPreTrainedModel):
    """Left-to-right language modelling with a causal BERT (`is_decoder=True`); `generate`
    (KV-cached through the mixin's hooks and `FlaxBertModel.init_cache`)."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    tied_keys = _MLM_TIES
    shared_keys = _MLM_SHARED
    ignore_unexpected_keys: ClassVar[list[str]] = FlaxBertForMaskedLM.ignore_unexpected_keys

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertOnlyMLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.cls(hidden, self.bert.embeddings.word_embeddings)


class FlaxBertForPreTraining(heads.TaskHead, FlaxBertPreTrainedModel):
    """Both pre-training heads: masked LM and next-sentence prediction."""

    base_model_class = FlaxBertModel
    output_class = FlaxBertForPreTrainingOutput
    tied_keys = _MLM_TIES
    shared_keys = _MLM_SHARED

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertPreTrainingHeads(config, dtype=dtype, rngs=rngs)

    def __call__(
        self,
        labels: Any = None,
        next_sentence_label: Any = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        base = self.run_base(kwargs)
        prediction = self.cls.predictions(
            base.last_hidden_state, self.bert.embeddings.word_embeddings
        )
        relationship = self.cls.seq_relationship(base.pooler_output)
        loss = None
        if labels is not None and next_sentence_label is not None:
            loss = losses.cross_entropy(prediction, labels) + losses.cross_entropy(
                relationship, next_sentence_label
            )
        return self.finish(
            return_dict,
            base,
            loss=loss,
            prediction_logits=prediction,
            seq_relationship_logits=relationship,
        )


class FlaxBertForNextSentencePrediction(heads.TaskHead, FlaxBertPreTrainedModel):
    """Is text B the continuation of text A? Label 0 means yes, 1 means random."""

    base_model_class = FlaxBertModel
    output_class = NextSentencePredictorOutput
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        r"^cls\.predictions\.",
    ]

    def build_head(self, config: BertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.cls = FlaxBertOnlyNSPHead(config, dtype=dtype, rngs=rngs)

    def __call__(self, labels: Any = None, return_dict: bool | None = None, **kwargs: Any) -> Any:
        base = self.run_base(kwargs)
        logits = self.cls(base.pooler_output)
        loss = losses.cross_entropy(logits, labels) if labels is not None else None
        return self.finish(return_dict, base, loss=loss, logits=logits)


class FlaxBertForSequenceClassification(heads.SequenceClassificationHead, FlaxBertPreTrainedModel):
    """Classification or regression of a whole text (pair) from the pooled output."""

    base_model_class = FlaxBertModel


class FlaxBertForMultipleChoice(heads.MultipleChoiceHead, FlaxBertPreTrainedModel):
    """Scores each of `num_choices` text pairs; inputs are `[batch, num_choices, length]`."""

    base_model_class = FlaxBertModel


class FlaxBertForTokenClassification(heads.TokenClassificationHead, FlaxBertPreTrainedModel):
    """One label per token (named entities, part of speech); label -100 is ignored."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = [
        *FlaxBertPreTrainedModel.ignore_unexpected_keys,
        *_NO_POOLER,
    ]


class FlaxBertForQuestionAnswering(heads.QuestionAnsweringHead, FlaxBertPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = FlaxBertModel
    base_model_kwargs: ClassVar[dict[str, Any]] = {"add_pooling_layer": False}
    ignore_unexpected_keys: ClassVar[list[str]] = (
        FlaxBertForTokenClassification.ignore_unexpected_keys
    )
