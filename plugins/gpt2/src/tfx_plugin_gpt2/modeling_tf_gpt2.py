"""GPT-2 in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

The blocks are the core's pre-norm decoder block (GPT-2's names: `h.N.ln_1`, `attn.c_attn`, ...)
with a static KV cache; `TFGPT2LMHeadModel.generate` runs the core's XLA-compiled decoding loop
over it. Then the sequence (last non-padding token) and token classification heads.
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.errors import ConfigError
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras import (
    CausalLMHead,
    HeadModel,
    SequenceClassificationHead,
    TFPreTrainedModel,
    TokenClassificationHead,
    as_tensor,
    tf,
    unpack_inputs,
)
from tfx_core.modeling.keras.base import output_flags
from tfx_core.modeling.keras.blocks import DecoderBlock, empty_cache
from tfx_core.modeling.keras.generation import TFGenerationMixin
from tfx_core.modeling.keras.layers import (
    TiedProjection,
    causal_bias,
    dense,
    dropout,
    embedding,
    layer_norm,
)
from tfx_core.modeling.outputs import BaseModelOutputWithPast
from tfx_plugin_gpt2.configuration_gpt2 import GPT2Config


class TFGPT2PreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[GPT2Config]] = GPT2Config
    base_model_prefix: ClassVar[str] = "transformer"
    # old checkpoints saved the causal-mask buffers of the attention layers; they are not weights
    ignore_unexpected_keys: ClassVar[list[str]] = [r"\.attn\.bias$", r"\.attn\.masked_bias$"]


class TFGPT2Model(TFGPT2PreTrainedModel):
    """Token and position embeddings, `n_layer` pre-norm blocks, final layer norm."""

    def __init__(self, config: GPT2Config, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        std = config.initializer_range
        self.wte = embedding(config.vocab_size, config.n_embd, std)
        self.wpe = embedding(config.n_positions, config.n_embd, std)
        self.drop = dropout(config.embd_pdrop)
        self.h = [DecoderBlock(config, i) for i in range(config.n_layer)]
        self.ln_f = layer_norm(config.n_embd, config.layer_norm_epsilon)

    def get_input_embeddings(self) -> Any:
        return self.wte

    def run(
        self,
        input_ids: Any,
        inputs_embeds: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        bias: Any = None,
        cache: tuple | None = None,
        index: Any = 0,
        training: bool = False,
        all_hidden: list | None = None,
        all_attentions: list | None = None,
    ) -> tuple[Any, tuple | None]:
        """The decoder itself (shared by `call` and generation): hidden states and the cache."""
        if inputs_embeds is None:
            inputs_embeds = self.wte(input_ids)
        if position_ids is None:
            length = tf.shape(inputs_embeds)[1]
            position_ids = (tf.range(length) + index)[None]
        hidden = inputs_embeds + tf.cast(self.wpe(position_ids), inputs_embeds.dtype)
        if token_type_ids is not None:
            hidden = hidden + self.wte(token_type_ids)
        hidden = self.drop(hidden, training=training)
        new_cache = []
        for i, block in enumerate(self.h):
            if all_hidden is not None:
                all_hidden.append(hidden)
            layer_cache = cache[i] if cache is not None else None
            hidden, layer_cache, weights = block(
                hidden, bias=bias, cache=layer_cache, index=index, training=training
            )
            new_cache.append(layer_cache)
            if all_attentions is not None:
                all_attentions.append(weights)
        hidden = self.ln_f(hidden)
        if all_hidden is not None:
            all_hidden.append(hidden)
        return hidden, tuple(new_cache) if cache is not None else None

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        past_key_values: Any = None,
        attention_mask: Any = None,
        token_type_ids: Any = None,
        position_ids: Any = None,
        head_mask: Any = None,
        inputs_embeds: Any = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        training: bool = False,
    ) -> Any:
        config = self.config
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        if head_mask is not None or past_key_values is not None:
            raise ConfigError(
                "tfx's TF GPT-2 takes no head_mask or past_key_values in call(); generate() "
                "keeps its own static cache."
            )
        input_ids, inputs_embeds = as_tensor(input_ids), as_tensor(inputs_embeds)
        reference = input_ids if input_ids is not None else inputs_embeds
        length = reference.shape[1]
        if length is not None and length > config.n_positions:
            raise ConfigError(
                f"Sequence of {length} positions exceeds GPT-2's context of "
                f"{config.n_positions} (n_positions)."
            )
        dtype = tf.as_dtype(self.compute_dtype)
        size = tf.shape(reference)[1]
        bias = causal_bias(size, size, 0, as_tensor(attention_mask), dtype)
        output_attentions, output_hidden_states = output_flags(
            config, output_attentions, output_hidden_states
        )
        all_hidden: list | None = [] if output_hidden_states else None
        all_attentions: list | None = [] if output_attentions else None
        hidden, _ = self.run(
            input_ids,
            inputs_embeds,
            as_tensor(token_type_ids),
            as_tensor(position_ids),
            bias,
            training=training,
            all_hidden=all_hidden,
            all_attentions=all_attentions,
        )
        out = BaseModelOutputWithPast(
            last_hidden_state=hidden,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_attentions) if all_attentions is not None else None,
        )
        return self._outputs(out, return_dict)


class _TFGPT2Head(HeadModel, TFGPT2PreTrainedModel):
    base_model_class: ClassVar[type] = TFGPT2Model


class TFGPT2LMHeadModel(TFGenerationMixin, CausalLMHead, _TFGPT2Head):
    """Language modelling with the output projection tied to `wte`; XLA-compiled `generate`."""

    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "transformer.wte.weight"}

    def __init__(self, config: GPT2Config, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.lm_head = TiedProjection(
            self.transformer.wte, tied=config.tie_word_embeddings, std=config.initializer_range
        )

    def lm_logits(self, hidden: Any) -> Any:
        return self.lm_head(hidden)

    # generation hooks (see tfx_core.modeling.keras.generation)
    def _context_length(self) -> int:
        return self.config.n_positions

    def init_cache(self, batch: Any, max_length: int) -> tuple:
        config = self.config
        head_dim = config.n_embd // config.n_head
        dtype = tf.as_dtype(self.compute_dtype)
        return empty_cache(config.n_layer, batch, max_length, config.n_head, head_dim, dtype)

    def decode(
        self, input_ids: Any, position_ids: Any, bias: Any, cache: tuple, index: Any
    ) -> tuple[Any, tuple]:
        hidden, cache = self.transformer.run(
            input_ids, position_ids=position_ids, bias=bias, cache=cache, index=index
        )
        return self.lm_head(hidden[:, -1]), cache


class TFGPT2ForSequenceClassification(SequenceClassificationHead, _TFGPT2Head):
    """Classifies a text from the hidden state of its last non-padding token (`score`)."""

    def build_classifier(self, config: GPT2Config) -> None:
        self.score = dense(config.n_embd, config.num_labels, config.initializer_range, False)

    def classify(self, base: Any, input_ids: Any, training: bool) -> Any:
        logits = self.score(base["last_hidden_state"])
        batch, length = tf.shape(logits)[0], tf.shape(logits)[1]
        pad = self.config.pad_token_id
        if pad is None and logits.shape[0] != 1:
            raise ConfigError(
                "GPT2ForSequenceClassification needs config.pad_token_id to find the last token "
                "of each sequence in a batch; set it (e.g. to the EOS id) or classify one at a time."
            )
        if pad is None or input_ids is None:
            last = tf.fill((batch,), length - 1)
        else:  # rightmost non-padding token, whichever side the padding is on
            not_pad = tf.cast(tf.not_equal(as_tensor(input_ids), pad), tf.int32)
            last = tf.argmax(tf.range(length)[None] * not_pad, axis=-1, output_type=tf.int32)
        return tf.gather(logits, last, batch_dims=1)


class TFGPT2ForTokenClassification(TokenClassificationHead, _TFGPT2Head):
    """A linear classifier on every token's hidden state; label -100 is ignored."""
