"""T5 in TensorFlow (Keras 3), loading and saving the same files as the PyTorch model.

`shared` (the one token embedding, also each stack's `embed_tokens`), an `encoder` and a
`decoder` `TFT5Stack` (layers in `modeling_tf_t5_layers.py`), and per head:
- `TFT5ForConditionalGeneration`: `lm_head`, tied to `shared` when `tie_word_embeddings` (then
  the decoder output is scaled by `d_model ** -0.5` first, T5 v1.0), untied for v1.1 / mT5;
  `generate` runs the core's XLA-compiled seq2seq loops (`keras.seq2seq_generation`).
- `TFT5Model` (decoder states), `TFT5EncoderModel` (the encoder alone).
"""

from __future__ import annotations

from typing import Any, ClassVar

from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.keras import TFPreTrainedModel, as_tensor, tf, unpack_inputs
from tfx_core.modeling.keras.backend import keras
from tfx_core.modeling.keras.blocks.decoder import empty_cache
from tfx_core.modeling.keras.blocks.seq2seq_heads import TFOwnStacksHead, TFSeq2SeqLMHead
from tfx_core.modeling.keras.blocks.seq2seq_stack import (
    DecoderStackMixin,
    EncoderDecoderMixin,
    output_flags,
)
from tfx_core.modeling.keras.layers import (
    TiedProjection,
    causal_bias,
    dropout,
    embedding,
    padding_bias,
)
from tfx_core.modeling.keras.seq2seq_generation import TFSeq2SeqGenerationMixin
from tfx_core.modeling.outputs import (
    BaseModelOutput,
)
from tfx_plugin_t5.configuration_t5 import T5Config
from tfx_plugin_t5.modeling_tf_t5_layers import TFT5Block, TFT5LayerNorm

__all__ = ["TFT5EncoderModel", "TFT5ForConditionalGeneration", "TFT5Model", "TFT5Stack"]

_ALIASES = {
    "encoder.embed_tokens.weight": "shared.weight",
    "decoder.embed_tokens.weight": "shared.weight",
}


class TFT5Stack(DecoderStackMixin, keras.layers.Layer):
    """T5's encoder (`is_decoder=False`) or decoder stack, reading the shared `embed_tokens`:
    no positions in the embeddings, a relative position bias in the attention instead."""

    def __init__(
        self, config: Any, embed_tokens: Any, is_decoder: bool, layers: int, **kw: Any
    ) -> None:
        super().__init__(**kw)
        self.is_decoder = is_decoder
        self.embed_tokens = embed_tokens
        self.block = [TFT5Block(config, i == 0, is_decoder) for i in range(layers)]
        self.final_layer_norm = TFT5LayerNorm(config.d_model, config.layer_norm_epsilon)
        self.dropout = dropout(config.dropout_rate)

    def blocks(self) -> list:
        return self.block

    def position_bias(self, positions: Any, key_length: Any, mask_bias: Any) -> Any:
        """The first block's relative position bias plus the additive mask."""
        first = self.block[0].layer[0].SelfAttention if self.block else None
        if first is None or not first.has_relative_attention_bias:
            return mask_bias
        bias = first.compute_bias(positions, key_length)
        return bias if mask_bias is None else bias + tf.cast(mask_bias, bias.dtype)

    def attention_bias(
        self, count: Any, length: Any, index: Any, attention_mask: Any, dtype: Any
    ) -> Any:
        if self.is_decoder:
            mask_bias = causal_bias(count, length, index, attention_mask, dtype)
        else:
            mask_bias = padding_bias(attention_mask, dtype)
        return self.position_bias(tf.range(count) + index, length, mask_bias)

    def cross_keys_values(self, encoder_hidden: Any) -> tuple:
        return tuple(b.layer[1].EncDecAttention.keys_values(encoder_hidden) for b in self.block)

    def embed(
        self,
        input_ids: Any,
        inputs_embeds: Any,
        past_length: Any,
        training: bool = False,
        position_ids: Any = None,
    ) -> Any:
        check_ids_or_embeds(self, input_ids, inputs_embeds, "decoder_" if self.is_decoder else "")
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        return self.dropout(inputs_embeds, training=training)

    def finish(self, hidden: Any, training: bool = False) -> Any:
        return self.dropout(self.final_layer_norm(hidden), training=training)


class TFT5PreTrainedModel(TFPreTrainedModel):
    config_class: ClassVar[type[T5Config]] = T5Config
    base_model_prefix: ClassVar[str] = "transformer"
    tied_weights: ClassVar[dict[str, str]] = _ALIASES
    # old checkpoints carry a bias table for the decoder's first cross-attention; unused
    ignore_unexpected_keys: ClassVar[list[str]] = [
        r"decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$"
    ]


class TFT5EncoderDecoder(EncoderDecoderMixin, TFT5PreTrainedModel):
    """`shared`, `encoder` and `decoder`: what TFT5Model and the LM head are built of."""

    def __init__(self, config: T5Config, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.shared = embedding(config.vocab_size, config.d_model, config.initializer_factor)
        self.encoder = TFT5Stack(config, self.shared, False, config.num_layers)
        self.decoder = TFT5Stack(config, self.shared, True, config.num_decoder_layers)

    def get_input_embeddings(self) -> Any:
        return self.shared


class TFT5Model(TFT5EncoderDecoder):
    """The bare encoder-decoder: the decoder's last hidden state (`Seq2SeqModelOutput`)."""


class TFT5ForConditionalGeneration(
    TFSeq2SeqGenerationMixin, TFOwnStacksHead, TFSeq2SeqLMHead, TFT5EncoderDecoder
):
    """T5 with its language-modeling head (`lm_head`): text-to-text generation."""

    base_model_prefix: ClassVar[str] = "transformer"

    def __init__(self, config: T5Config, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.lm_head = TiedProjection(
            self.shared, tied=config.tie_word_embeddings, std=config.initializer_factor
        )

    @property
    def tied_weights(self) -> dict[str, str]:  # type: ignore[override]
        if self.config.tie_word_embeddings:
            return {**_ALIASES, "lm_head.weight": "shared.weight"}
        return dict(_ALIASES)

    def lm_logits(self, hidden: Any) -> Any:
        if self.config.tie_word_embeddings:  # T5 v1.0 rescales before the tied projection
            hidden = hidden * self.config.d_model**-0.5
        return self.lm_head(hidden)

    # ------------------------------------------------------------------ generation hooks
    def init_cache(self, rows: Any, length: int) -> tuple:
        config = self.config
        dtype = tf.as_dtype(self.compute_dtype)
        return empty_cache(
            config.num_decoder_layers, rows, length, config.num_heads, config.d_kv, dtype
        )


class TFT5EncoderModel(TFT5PreTrainedModel):
    """The encoder alone (`shared` + `encoder`): sentence encoders, T5 text towers."""

    tied_weights: ClassVar[dict[str, str]] = {"encoder.embed_tokens.weight": "shared.weight"}
    ignore_unexpected_keys: ClassVar[list[str]] = [r"^decoder\.", r"^lm_head\."]

    def __init__(self, config: T5Config, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self.shared = embedding(config.vocab_size, config.d_model, config.initializer_factor)
        self.encoder = TFT5Stack(config, self.shared, False, config.num_layers)

    def get_input_embeddings(self) -> Any:
        return self.shared

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        inputs_embeds: Any = None,
        output_attentions: Any = None,
        output_hidden_states: Any = None,
        return_dict: Any = None,
        training: bool = False,
    ) -> Any:
        flags = output_flags(self.config, output_attentions, output_hidden_states)
        out = self.encoder(
            as_tensor(input_ids),
            attention_mask=as_tensor(attention_mask),
            inputs_embeds=as_tensor(inputs_embeds),
            output_attentions=flags[0],
            output_hidden_states=flags[1],
            training=training,
        )
        result = BaseModelOutput(
            last_hidden_state=out.last_hidden_state,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
        )
        return self._outputs(result, return_dict)
