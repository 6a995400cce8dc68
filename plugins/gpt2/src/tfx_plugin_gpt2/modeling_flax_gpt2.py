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
from tfx_core.modeling.flax.decoder import DecoderLayer, empty_cache
from tfx_core.modeling.flax.inputs import flag, input_ids_array
from tfx_core.modeling.flax.stack import cached_causal_bias, run_layers
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
        input_ids = input_ids_array(input_ids)
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
        hidden, states, weights, cache = run_layers(
            self.h,
            self.drop(hidden),
            cached_causal_bias(length, attention_mask, cache, cache_index),
            cache=cache,
            cache_index=cache_index,
            output_hidden_states=flag(output_hidden_states, self.config.output_hidden_states),
            output_attentions=flag(output_attentions, self.config.output_attentions),
            final=self.ln_f,
        )
        outputs = BaseModelOutputWithPast(
            last_hidden_state=hidden,
            past_key_values=cache,
            hidden_states=states,
            attentions=weights,
        )
        return heads.finish(outputs, return_dict, self.config)


class FlaxGPT2LMHeadModel(FlaxGenerationMixin, heads.CausalLMHead, FlaxGPT2PreTrainedModel):
    """GPT-2 with a language-modeling head tied to the token embeddings; has `generate`."""

    base_model_class = FlaxGPT2Model
    tied_keys = ("lm_head.weight",)

    def build_head(self, config: GPT2Config, dtype: Any, rngs: nnx.Rngs) -> None:
        tied, std = config.tie_word_embeddings, config.initializer_range
        self.lm_head = layers.lm_projection(
            tied, config.n_embd, config.vocab_size, std=std, dtype=dtype, rngs=rngs
        )

    def lm_logits(self, hidden: Array) -> Array:
        return layers.vocab_logits(self.lm_head, self.transformer.wte, hidden)


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
