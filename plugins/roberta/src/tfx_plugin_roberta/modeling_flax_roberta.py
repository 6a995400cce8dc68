"""RoBERTa in Flax nnx: the same module tree and checkpoint names as `modeling_roberta`.

The encoder is the core's post-norm blocks; RoBERTa's own parts are the fairseq position
numbering, the LM head and the sentence classification head.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import FlaxGenerationMixin, FlaxPreTrainedModel, blocks, heads, layers
from tfx_core.modeling.outputs import BaseModelOutputWithPoolingAndPast
from tfx_plugin_roberta.configuration_roberta import RobertaConfig

Array = jax.Array


def position_ids_from_input_ids(input_ids: Array, padding_idx: int, past_length: Any = 0) -> Array:
    """`padding_idx + 1 + past_length + index among non-padding tokens`; padding gets
    `padding_idx` (the reference's numbering, `past_length` tokens already cached)."""
    not_pad = (input_ids != padding_idx).astype(jnp.int32)
    return (jnp.cumsum(not_pad, axis=1) + past_length) * not_pad + padding_idx


class FlaxRobertaEmbeddings(nnx.Module):
    """BERT's embeddings with fairseq position numbering."""

    def __init__(self, config: RobertaConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
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
        self.padding_idx = config.pad_token_id
        self.max_positions = config.max_position_embeddings

    def __call__(
        self,
        input_ids: Array,
        token_type_ids: Array | None,
        position_ids: Array | None,
        past_length: Any = 0,
    ) -> Array:
        if position_ids is None:
            length = input_ids.shape[1]
            if self.padding_idx + 1 + length > self.max_positions:
                raise ConfigError(
                    f"The input has {length} tokens but this model handles at most "
                    f"{self.max_positions - self.padding_idx - 1}: truncate it "
                    "(e.g. tokenizer(..., truncation=True))."
                )
            position_ids = position_ids_from_input_ids(input_ids, self.padding_idx, past_length)
        if token_type_ids is None:
            token_type_ids = jnp.zeros_like(input_ids)
        hidden = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(position_ids)
        )
        return self.dropout(self.LayerNorm(hidden))


class FlaxRobertaLMHead(nnx.Module):
    """Dense + gelu + layer norm, then the vocabulary projection (tied to the embeddings)."""

    def __init__(self, config: RobertaConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = layers.dense(hidden, hidden, std=std, dtype=dtype, rngs=rngs)
        self.layer_norm = layers.layer_norm(hidden, config.layer_norm_eps, dtype=dtype, rngs=rngs)
        self.decoder = None
        if not config.tie_word_embeddings:
            self.decoder = layers.dense(
                hidden, config.vocab_size, std=std, use_bias=False, dtype=dtype, rngs=rngs
            )
        self.bias = nnx.Param(jnp.zeros((config.vocab_size,), dtype))

    def __call__(self, hidden: Array, word_embeddings: nnx.Embed) -> Array:
        hidden = self.layer_norm(layers.ACTIVATIONS["gelu"](self.dense(hidden)))
        if self.decoder is None:
            return layers.attend(word_embeddings, hidden) + self.bias[...]
        return self.decoder(hidden) + self.bias[...]


class FlaxRobertaClassificationHead(nnx.Module):
    """Sentence head on the `<s>` features: dropout, dense, tanh, dropout, projection."""

    def __init__(self, config: RobertaConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        hidden, std = config.hidden_size, config.initializer_range
        self.dense = layers.dense(hidden, hidden, std=std, dtype=dtype, rngs=rngs)
        rate = config.classifier_dropout
        self.dropout = layers.dropout(config.hidden_dropout_prob if rate is None else rate, rngs)
        self.out_proj = layers.dense(hidden, config.num_labels, std=std, dtype=dtype, rngs=rngs)

    def __call__(self, features: Array) -> Array:
        return self.out_proj(self.dropout(jnp.tanh(self.dense(self.dropout(features)))))


# ---------------------------------------------------------------------------- models
_NO_POOLER = [r"embeddings\.position_ids$", r"(^|\.)pooler\."]
_TIED_DECODER = ("lm_head.decoder.weight",)
_SHARED_BIAS = ("lm_head.decoder.bias",)
_WITHOUT_POOLER: dict[str, Any] = {"add_pooling_layer": False}


class FlaxRobertaPreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[RobertaConfig]] = RobertaConfig
    base_model_prefix: ClassVar[str] = "roberta"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]


class FlaxRobertaModel(FlaxRobertaPreTrainedModel):
    """The encoder: embeddings, layers and (optionally) the pooler."""

    def __init__(
        self,
        config: RobertaConfig,
        *,
        dtype: Any = jnp.float32,
        rngs: nnx.Rngs,
        add_pooling_layer: bool = True,
    ) -> None:
        super().__init__(config, dtype=dtype)
        if getattr(config, "position_embedding_type", "absolute") != "absolute":
            raise ConfigError(
                "The Flax RoBERTa supports position_embedding_type='absolute' only: use the "
                "PyTorch model for this checkpoint."
            )
        self.embeddings = FlaxRobertaEmbeddings(config, dtype=dtype, rngs=rngs)
        self.encoder = blocks.Encoder(config, dtype=dtype, rngs=rngs)
        self.pooler = blocks.Pooler(config, dtype=dtype, rngs=rngs) if add_pooling_layer else None

    def get_input_embeddings(self) -> nnx.Embed:
        return self.embeddings.word_embeddings

    def init_cache(self, batch: int, max_length: int) -> tuple | None:
        """Zeroed keys/values for `max_length` positions per layer (None unless `is_decoder`)."""
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
        hidden = self.embeddings(
            input_ids,
            None if token_type_ids is None else jnp.asarray(token_type_ids),
            None if position_ids is None else jnp.asarray(position_ids),
            cache_index,
        )
        config = self.config
        bias = blocks.decoder_bias(config, hidden.shape[1], attention_mask, cache, cache_index)
        hidden, states, weights, cache = self.encoder(
            hidden,
            bias,
            cache=cache,
            cache_index=cache_index,
            output_hidden_states=bool(
                config.output_hidden_states
                if output_hidden_states is None
                else output_hidden_states
            ),
            output_attentions=bool(
                config.output_attentions if output_attentions is None else output_attentions
            ),
        )
        outputs = BaseModelOutputWithPoolingAndPast(
            last_hidden_state=hidden,
            pooler_output=self.pooler(hidden) if self.pooler is not None else None,
            past_key_values=cache,
            hidden_states=states,
            attentions=weights,
        )
        return heads.finish(outputs, return_dict, config)


class FlaxRobertaForMaskedLM(heads.MaskedLMHead, FlaxRobertaPreTrainedModel):
    """Predicts masked tokens; the output projection shares the input embedding matrix."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_keys = _TIED_DECODER
    shared_keys = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_head(self, config: RobertaConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.lm_head = FlaxRobertaLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.lm_head(hidden, self.roberta.embeddings.word_embeddings)


class FlaxRobertaForCausalLM(FlaxGenerationMixin, heads.CausalLMHead, FlaxRobertaPreTrainedModel):
    """Left-to-right LM on a causal RoBERTa (`config.is_decoder=True`); has `generate`.

    Generation numbers positions from 0 (cumsum of the mask), as the reference's `generate`
    passes them, not with RoBERTa's padding offset."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    tied_keys = _TIED_DECODER
    shared_keys = _SHARED_BIAS
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_head(self, config: RobertaConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.lm_head = FlaxRobertaLMHead(config, dtype=dtype, rngs=rngs)

    def lm_logits(self, hidden: Array) -> Array:
        return self.lm_head(hidden, self.roberta.embeddings.word_embeddings)


class FlaxRobertaForSequenceClassification(
    heads.SequenceClassificationHead, FlaxRobertaPreTrainedModel
):
    """Classifies (or regresses) the whole sequence through the classification head."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    head_input = "first_token"
    dropout_fields = None  # the classification head has its own
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER

    def build_classifier(self, config: RobertaConfig, outputs: int, dtype: Any, rngs: nnx.Rngs):
        return FlaxRobertaClassificationHead(config, dtype=dtype, rngs=rngs)


class FlaxRobertaForTokenClassification(heads.TokenClassificationHead, FlaxRobertaPreTrainedModel):
    """One label per token; label -100 is ignored."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class FlaxRobertaForQuestionAnswering(heads.QuestionAnsweringHead, FlaxRobertaPreTrainedModel):
    """Extractive QA: start and end logits of the answer span for every token."""

    base_model_class = FlaxRobertaModel
    base_model_kwargs = _WITHOUT_POOLER
    ignore_unexpected_keys: ClassVar[list[str]] = _NO_POOLER


class FlaxRobertaForMultipleChoice(heads.MultipleChoiceHead, FlaxRobertaPreTrainedModel):
    """Scores each of `num_choices` candidates from the pooled output."""

    base_model_class = FlaxRobertaModel
    dropout_fields = ("hidden_dropout_prob",)
