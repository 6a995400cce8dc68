"""GPT-2 in Flax nnx: the same module tree and checkpoint names as `modeling_gpt2`.

The blocks are the core's pre-norm decoder blocks (`tfx_core.modeling.flax.decoder`) with a
preallocated KV cache; `FlaxGPT2LMHeadModel.generate` runs under `jax.jit`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from flax import nnx

from tfx_core.errors import ConfigError
from tfx_core.modeling.flax import FlaxGenerationMixin, FlaxPreTrainedModel, heads, layers
from tfx_core.modeling.flax.attention import causal_bias
from tfx_core.modeling.flax.decoder import DecoderLayer, empty_cache
from tfx_core.modeling.outputs import BaseModelOutputWithPast
from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config

Array = jax.Array


class FlaxGPT2PreTrainedModel(FlaxPreTrainedModel):
    config_class: ClassVar[type[GPT2Config]] = GPT2Config
    base_model_prefix: ClassVar[str] = "transformer"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.bias$", r"\.attn\.masked_bias$"]


class FlaxGPT2Model(FlaxGPT2PreTrainedModel):
    """Token + position embeddings, `n_layer` pre-norm blocks `h`, final norm `ln_f`."""

    def __init__(self, config: GPT2Config, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        super().__init__(config, dtype=dtype)
        std, hidden = config.initializer_range, config.n_embd
        self.wte = layers.embed(config.vocab_size, hidden, std=std, dtype=dtype, rngs=rngs)
        self.wpe = layers.embed(config.n_positions, hidden, std=std, dtype=dtype, rngs=rngs)
        self.drop = layers.dropout(config.embd_pdrop, rngs)
        self.h = nnx.List(
            [DecoderLayer(config, i, dtype=dtype, rngs=rngs) for i in range(config.n_layer)]
        )
        self.ln_f = layers.layer_norm(hidden, config.layer_norm_epsilon, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.wte

    def init_cache(self, batch: int, max_length: int) -> tuple:
        """Zeroed keys/values for `max_length` positions per layer."""
        config = self.config
        head_dim = config.n_embd // config.n_head
        return empty_cache(
            config.n_layer, batch, config.n_head, max_length, head_dim, self.param_dtype
        )

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
        length = input_ids.shape[1]
        if position_ids is None:
            if length > self.config.n_positions:
                raise ConfigError(
                    f"The input has {length} positions but this model handles at most "
                    f"{self.config.n_positions} (n_positions): truncate it."
                )
            position_ids = jnp.arange(length)[None] + cache_index
        hidden = self.wte(input_ids) + self.wpe(jnp.asarray(position_ids))
        if token_type_ids is not None:
            hidden = hidden + self.wte(jnp.asarray(token_type_ids))
        hidden = self.drop(hidden)
        queries = jnp.arange(length) + cache_index
        key_length = cache[0].key.shape[2] if cache is not None else length
        bias = causal_bias(queries, key_length, attention_mask)
        want_states = _flag(output_hidden_states, self.config.output_hidden_states)
        want_weights = _flag(output_attentions, self.config.output_attentions)
        states, weights, new_cache = [], [], []
        for i, block in enumerate(self.h):
            if want_states:
                states.append(hidden)
            hidden, attn, layer_cache = block(
                hidden, bias, None if cache is None else cache[i], cache_index
            )
            new_cache.append(layer_cache)
            if want_weights:
                weights.append(attn)
        hidden = self.ln_f(hidden)
        if want_states:
            states.append(hidden)
        outputs = BaseModelOutputWithPast(
            last_hidden_state=hidden,
            past_key_values=tuple(new_cache) if cache is not None else None,
            hidden_states=tuple(states) if want_states else None,
            attentions=tuple(weights) if want_weights else None,
        )
        return heads.finish(outputs, return_dict, self.config)


def _flag(value: bool | None, default: bool) -> bool:
    return bool(default if value is None else value)


class FlaxGPT2LMHeadModel(FlaxGenerationMixin, heads.CausalLMHead, FlaxGPT2PreTrainedModel):
    """GPT-2 with a language-modeling head tied to the token embeddings; has `generate`."""

    base_model_class = FlaxGPT2Model
    tied_keys = ("lm_head.weight",)

    def build_head(self, config: GPT2Config, dtype: Any, rngs: nnx.Rngs) -> None:
        self.lm_head = None
        if not config.tie_word_embeddings:
            self.lm_head = layers.dense(
                config.n_embd,
                config.vocab_size,
                std=config.initializer_range,
                use_bias=False,
                dtype=dtype,
                rngs=rngs,
            )

    def lm_logits(self, hidden: Array) -> Array:
        if self.lm_head is None:
            return layers.attend(self.transformer.wte, hidden)
        return self.lm_head(hidden)


class FlaxGPT2ForSequenceClassification(heads.SequenceClassificationHead, FlaxGPT2PreTrainedModel):
    """Classifies a text from its last non-padding token (`score`, no bias)."""

    base_model_class = FlaxGPT2Model
    head_input = "last_token"
    classifier_attribute = "score"
    classifier_bias = False
    dropout_fields = None


class FlaxGPT2ForTokenClassification(heads.TokenClassificationHead, FlaxGPT2PreTrainedModel):
    """One label per token; dropout then `classifier`."""

    base_model_class = FlaxGPT2Model
    dropout_fields = ("classifier_dropout", "hidden_dropout")
