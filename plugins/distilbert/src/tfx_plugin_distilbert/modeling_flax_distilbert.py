"""DistilBERT in Flax nnx: the same module tree and checkpoint names as `modeling_distilbert`.

DistilBERT's block is post-norm like BERT's but with its own names (`q_lin`..`out_lin`,
`sa_layer_norm`, `ffn.lin1/lin2`, `output_layer_norm`), so it lives here; the heads are the
core's generic ones.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import FlaxPreTrainedModel, heads, layers
from tfx_core.modeling.flax.attention import attention, merge_heads, padding_bias, split_heads
from tfx_core.modeling.flax.inputs import flag, input_ids_array
from tfx_core.modeling.flax.stack import run_layers
from tfx_core.modeling.outputs import BaseModelOutput
from tfx_plugin_distilbert.configuration_distilbert import DistilBertConfig

Array = jax.Array
LAYER_NORM_EPS = 1e-12  # fixed in DistilBERT (not a config field)


def _dense(config: DistilBertConfig, n_in: int, n_out: int, dtype: Any, rngs: nnx.Rngs):
    return layers.dense(n_in, n_out, std=config.initializer_range, dtype=dtype, rngs=rngs)


class FlaxEmbeddings(nnx.Module):
    """Token + position embeddings, then LayerNorm and dropout."""

    def __init__(self, config: DistilBertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        std = config.initializer_range
        self.word_embeddings = layers.embed(
            config.vocab_size, config.dim, std=std, dtype=dtype, rngs=rngs
        )
        self.position_embeddings = layers.embed(
            config.max_position_embeddings, config.dim, std=std, dtype=dtype, rngs=rngs
        )
        self.LayerNorm = layers.layer_norm(config.dim, LAYER_NORM_EPS, dtype=dtype, rngs=rngs)
        self.dropout = layers.dropout(config.dropout, rngs)
        self.max_positions = config.max_position_embeddings

    def __call__(self, input_ids: Array) -> Array:
        length = input_ids.shape[1]
        if length > self.max_positions:
            raise ConfigError(
                f"The input has {length} positions but this model handles at most "
                f"{self.max_positions} (max_position_embeddings): truncate it "
                "(e.g. tokenizer(..., truncation=True))."
            )
        positions = self.position_embeddings.embedding[...][:length]
        return self.dropout(self.LayerNorm(self.word_embeddings(input_ids) + positions))


class FlaxMultiHeadSelfAttention(nnx.Module):
    def __init__(self, config: DistilBertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        dim = config.dim
        self.n_heads = config.n_heads
        self.q_lin = _dense(config, dim, dim, dtype, rngs)
        self.k_lin = _dense(config, dim, dim, dtype, rngs)
        self.v_lin = _dense(config, dim, dim, dtype, rngs)
        self.out_lin = _dense(config, dim, dim, dtype, rngs)
        self.dropout = layers.dropout(config.attention_dropout, rngs)

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        q, k, v = (
            split_heads(f(hidden), self.n_heads) for f in (self.q_lin, self.k_lin, self.v_lin)
        )
        out, weights = attention(q, k, v, bias, dropout=self.dropout)
        return self.out_lin(merge_heads(out)), weights


class FlaxFFN(nnx.Module):
    def __init__(self, config: DistilBertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.lin1 = _dense(config, config.dim, config.hidden_dim, dtype, rngs)
        self.lin2 = _dense(config, config.hidden_dim, config.dim, dtype, rngs)
        self.activation = layers.activation_fn(config.activation)
        self.dropout = layers.dropout(config.dropout, rngs)

    def __call__(self, hidden: Array) -> Array:
        return self.dropout(self.lin2(self.activation(self.lin1(hidden))))


class FlaxTransformerBlock(nnx.Module):
    """Post-norm block: norm(x + attn(x)), then norm(. + ffn(.))."""

    def __init__(self, config: DistilBertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.attention = FlaxMultiHeadSelfAttention(config, dtype=dtype, rngs=rngs)
        self.sa_layer_norm = layers.layer_norm(config.dim, LAYER_NORM_EPS, dtype=dtype, rngs=rngs)
        self.ffn = FlaxFFN(config, dtype=dtype, rngs=rngs)
        self.output_layer_norm = layers.layer_norm(
            config.dim, LAYER_NORM_EPS, dtype=dtype, rngs=rngs
        )

    def __call__(self, hidden: Array, bias: Array | None) -> tuple[Array, Array]:
        attended, weights = self.attention(hidden, bias)
        attended = self.sa_layer_norm(attended + hidden)
        return self.output_layer_norm(self.ffn(attended) + attended), weights


class FlaxTransformer(nnx.Module):
    def __init__(self, config: DistilBertConfig, *, dtype: Any, rngs: nnx.Rngs) -> None:
        self.layer = nnx.List(
            [FlaxTransformerBlock(config, dtype=dtype, rngs=rngs) for _ in range(config.n_layers)]
        )


class FlaxDistilBertPreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[DistilBertConfig]] = DistilBertConfig
    base_model_prefix: ClassVar[str] = "distilbert"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"embeddings\.position_ids$"]


class FlaxDistilBertModel(FlaxDistilBertPreTrainedModel):
    """The encoder: embeddings and the transformer stack (no pooler)."""

    def __init__(
        self, config: DistilBertConfig, *, dtype: Any = jnp.float32, rngs: nnx.Rngs
    ) -> None:
        super().__init__(config, dtype=dtype)
        self.embeddings = FlaxEmbeddings(config, dtype=dtype, rngs=rngs)
        self.transformer = FlaxTransformer(config, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.embeddings.word_embeddings

    def __call__(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        *,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        hidden, states, weights, _ = run_layers(
            self.transformer.layer,
            self.embeddings(input_ids_array(input_ids)),
            padding_bias(attention_mask),
            output_hidden_states=flag(output_hidden_states, self.config.output_hidden_states),
            output_attentions=flag(output_attentions, self.config.output_attentions),
        )
        outputs = BaseModelOutput(
            last_hidden_state=hidden, hidden_states=states, attentions=weights
        )
        return heads.finish(outputs, return_dict, self.config)


class FlaxDistilBertForMaskedLM(heads.MaskedLMHead, FlaxDistilBertPreTrainedModel):
    """Predicts masked tokens; `vocab_projector` shares the input embedding matrix."""

    base_model_class = FlaxDistilBertModel
    tied_keys = ("vocab_projector.weight",)

    def build_head(self, config: DistilBertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        self.activation = layers.activation_fn(config.activation)
        self.vocab_transform = _dense(config, config.dim, config.dim, dtype, rngs)
        self.vocab_layer_norm = layers.layer_norm(
            config.dim, LAYER_NORM_EPS, dtype=dtype, rngs=rngs
        )
        if config.tie_word_embeddings:  # the bias is the head's own; the matrix is shared
            self.vocab_projector = FlaxTiedProjection(config.vocab_size, dtype)
        else:
            self.vocab_projector = _dense(config, config.dim, config.vocab_size, dtype, rngs)

    def lm_logits(self, hidden: Array) -> Array:
        hidden = self.vocab_layer_norm(self.activation(self.vocab_transform(hidden)))
        if isinstance(self.vocab_projector, FlaxTiedProjection):
            return self.vocab_projector(hidden, self.distilbert.embeddings.word_embeddings)
        return self.vocab_projector(hidden)


class FlaxTiedProjection(nnx.Module):
    """A projection onto the (tied) word embeddings with its own `bias`."""

    def __init__(self, vocab_size: int, dtype: Any) -> None:
        self.bias = nnx.Param(jnp.zeros((vocab_size,), dtype))

    def __call__(self, hidden: Array, table: nnx.Embed) -> Array:
        return layers.attend(table, hidden) + self.bias[...]


class _FirstTokenClassifier:
    """DistilBERT's sentence heads: first token -> `pre_classifier` -> ReLU -> classifier."""

    base_model_class = FlaxDistilBertModel
    head_input = "first_token"
    dropout_fields = ("seq_classif_dropout",)

    def build_head(self, config: DistilBertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        super().build_head(config, dtype, rngs)  # type: ignore[misc]
        self.pre_classifier = _dense(config, config.dim, config.dim, dtype, rngs)

    def head_features(self, features: Array) -> Array:
        return jax.nn.relu(self.pre_classifier(features))


class FlaxDistilBertForSequenceClassification(
    _FirstTokenClassifier, heads.SequenceClassificationHead, FlaxDistilBertPreTrainedModel
):
    """Classifies (or regresses) the sequence from its first token."""


class FlaxDistilBertForMultipleChoice(
    _FirstTokenClassifier, heads.MultipleChoiceHead, FlaxDistilBertPreTrainedModel
):
    """Scores each of `num_choices` candidates from their first tokens."""


class FlaxDistilBertForTokenClassification(
    heads.TokenClassificationHead, FlaxDistilBertPreTrainedModel
):
    """One label per token; label -100 is ignored."""

    base_model_class = FlaxDistilBertModel
    dropout_fields = ("dropout",)


class FlaxDistilBertForQuestionAnswering(
    heads.QuestionAnsweringHead, FlaxDistilBertPreTrainedModel
):
    """Extractive QA: start and end logits for every token (`num_labels` must be 2)."""

    base_model_class = FlaxDistilBertModel
    dropout_fields = ("qa_dropout",)

    def build_head(self, config: DistilBertConfig, dtype: Any, rngs: nnx.Rngs) -> None:
        if config.num_labels != 2:
            raise ConfigError(
                f"DistilBertForQuestionAnswering needs num_labels=2 (start, end), got "
                f"{config.num_labels}."
            )
        super().build_head(config, dtype, rngs)
