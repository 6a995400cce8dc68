"""`...ForCausalLM` of the BART family in Keras: the decoder alone as a language model.

```python
class TFBartForCausalLM(TFDecoderOnlyCausalLMHead, TFBartPreTrainedModel):
    base_model_class = TFBartModel  # only its `decoder_class` is used
```
The checkpoint holds `model.decoder.*` (the reference's decoder wrapper) and `lm_head.weight`,
tied to `model.decoder.embed_tokens`. Cross-attention reads `encoder_hidden_states` when given;
without them the layers skip it, as the reference does. `generate` is the decoder-only XLA loop;
positions number every prompt column (padding included), as the reference's do.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from tfx_core.modeling.keras.backend import keras, tf
from tfx_core.modeling.keras.base import TFPreTrainedModel, as_tensor, unpack_inputs
from tfx_core.modeling.keras.blocks.decoder import empty_cache
from tfx_core.modeling.keras.blocks.seq2seq_stack import output_flags, reject_unused
from tfx_core.modeling.keras.generation import TFGenerationMixin
from tfx_core.modeling.keras.layers import TiedProjection
from tfx_core.modeling.keras.losses import causal_lm_loss
from tfx_core.modeling.outputs import CausalLMOutputWithCrossAttentions

__all__ = ["TFDecoderOnlyCausalLMHead", "TFDecoderWrapper"]


class TFDecoderWrapper(keras.layers.Layer):
    """Holds the decoder at `model.decoder`, where the reference's wrapper puts it."""

    def __init__(self, decoder: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decoder = decoder


class TFDecoderOnlyCausalLMHead(TFGenerationMixin, TFPreTrainedModel):
    """The decoder of `base_model_class` with `lm_head`; loss on `labels` shifted by one."""

    base_model_class: ClassVar[type]
    base_model_prefix: ClassVar[str] = "model"
    tied_weights: ClassVar[dict[str, str]] = {"lm_head.weight": "model.decoder.embed_tokens.weight"}
    positions_count_padding = True

    def __init__(self, config: Any, **kwargs: Any) -> None:
        config = copy.deepcopy(config)
        config.is_decoder, config.is_encoder_decoder = True, False
        super().__init__(config, **kwargs)
        self.model = TFDecoderWrapper(self.base_model_class.decoder_class(config))
        embeddings = self.model.decoder.embed_tokens
        self.lm_head = TiedProjection(
            embeddings,
            tied=bool(getattr(config, "tie_word_embeddings", True)),
            std=getattr(config, "init_std", 0.02),
        )
        for layer in self.model._flatten_layers():  # every variable exists already
            layer.built = True

    def get_input_embeddings(self) -> Any:
        return self.model.decoder.embed_tokens

    @unpack_inputs
    def call(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        encoder_hidden_states: Any = None,
        encoder_attention_mask: Any = None,
        inputs_embeds: Any = None,
        labels: Any = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        training: bool = False,
        **unused: Any,
    ) -> Any:
        reject_unused(self, unused)
        attentions, hidden_states = output_flags(
            self.config, output_attentions, output_hidden_states
        )
        out = self.model.decoder(
            as_tensor(input_ids),
            attention_mask=as_tensor(attention_mask),
            encoder_hidden_states=as_tensor(encoder_hidden_states),
            encoder_attention_mask=as_tensor(encoder_attention_mask),
            inputs_embeds=as_tensor(inputs_embeds),
            output_attentions=attentions,
            output_hidden_states=hidden_states,
            training=training,
        )
        logits = self.lm_head(out.last_hidden_state)
        loss = causal_lm_loss(logits, as_tensor(labels)) if labels is not None else None
        result = CausalLMOutputWithCrossAttentions(
            loss=loss,
            logits=logits,
            hidden_states=out.hidden_states,
            attentions=out.attentions,
            cross_attentions=out.cross_attentions,
        )
        return self._outputs(result, return_dict)

    # ------------------------------------------------------------------ generation hooks
    def _context_length(self) -> int:
        return self.model.decoder.max_positions

    def init_cache(self, batch: Any, max_length: int) -> tuple:
        config = self.config
        heads = config.decoder_attention_heads
        dtype = tf.as_dtype(self.compute_dtype)
        return empty_cache(
            config.decoder_layers, batch, max_length, heads, config.d_model // heads, dtype
        )

    def decode(
        self, input_ids: Any, position_ids: Any, bias: Any, cache: tuple, index: Any
    ) -> tuple[Any, tuple]:
        hidden, cache = self.model.decoder.run(
            input_ids, bias, cache=cache, index=index, position_ids=position_ids
        )
        return self.lm_head(hidden[:, -1]), cache
