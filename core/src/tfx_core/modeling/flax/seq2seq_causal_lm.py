"""`...ForCausalLM` of the BART family in nnx: the decoder alone as a language model.

Mirrors `blocks.seq2seq_heads.DecoderOnlyCausalLMHead`: the decoder sits at `model.decoder`
(with its own `embed_tokens`), `lm_head` is tied to those embeddings unless
`tie_word_embeddings` is off, and labels are read as already aligned (no shift), like the
reference. A plugin adds two lines:

```python
class FlaxBartForCausalLM(DecoderOnlyCausalLMHead, FlaxBartPreTrainedModel):
    decoder_class = FlaxBartDecoder
```

`generate` runs jitted over a preallocated self-attention cache (no cross-attention); positions
are the cache columns counted from the caller's first column (the caller's own left padding
included), as the reference numbers them.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from tfx_core.modeling.flax.base import FlaxPreTrainedModel
from tfx_core.modeling.flax.heads import finish
from tfx_core.modeling.flax.inputs import flag, optional_array
from tfx_core.modeling.flax.layers import lm_projection, vocab_logits
from tfx_core.modeling.flax.losses import cross_entropy
from tfx_core.modeling.flax.seq2seq import Seq2SeqCache
from tfx_core.modeling.flax.seq2seq_generation import DecoderStackGeneration
from tfx_core.modeling.framework_common import check_ids_or_embeds
from tfx_core.modeling.outputs import CausalLMOutputWithCrossAttentions

Array = jax.Array


class DecoderWrapper(nnx.Module):
    """Holds the decoder at `decoder`, so the weights read `model.decoder.*`."""

    def __init__(self, decoder: nnx.Module) -> None:
        self.decoder = decoder


class DecoderOnlyCausalLMHead(DecoderStackGeneration):
    """Mixed in before the plugin's `FlaxSeq2SeqPreTrainedModel` subclass; set `decoder_class`."""

    decoder_class: ClassVar[type[nnx.Module]]
    tied_keys: ClassVar[tuple[str, ...]] = ("lm_head.weight",)

    def __init__(self, config: Any, *, dtype: Any = jnp.float32, rngs: nnx.Rngs) -> None:
        config = copy.deepcopy(config)
        config.is_decoder = True
        config.is_encoder_decoder = False
        super().__init__(config, dtype=dtype)  # type: ignore[call-arg]
        decoder = self.decoder_class(config, own_embeddings=True, dtype=dtype, rngs=rngs)
        self.model = DecoderWrapper(decoder)
        tied = getattr(config, "tie_word_embeddings", True)
        std, vocab = float(getattr(config, "init_std", 0.02)), decoder.embed_tokens.num_embeddings
        self.lm_head = lm_projection(tied, config.d_model, vocab, std=std, dtype=dtype, rngs=rngs)

    def get_input_embeddings(self) -> nnx.Embed:
        return self.model.decoder.embed_tokens

    def lm_logits(self, hidden: Array) -> Array:
        return vocab_logits(self.lm_head, self.model.decoder.embed_tokens, hidden)

    # ------------------------------------------------------------ checkpoints
    def _load_from_reader(self, reader: Any, dtype: Any, seed: int, device: Any) -> Any:
        """No `shared` table to alias: the decoder owns its embeddings."""
        return FlaxPreTrainedModel._load_from_reader(self, reader, dtype, seed, device)  # type: ignore[arg-type]

    def state_dict(self) -> dict[str, np.ndarray]:
        tensors = FlaxPreTrainedModel.state_dict(self)  # type: ignore[arg-type]
        if getattr(self, "save_fixed_positions", False):
            tables = self.model.decoder.fixed_tables("model.decoder.")
            tensors.update({k: v.astype(self.param_dtype) for k, v in tables.items()})
        return tensors

    # ------------------------------------------------------------ forward
    def __call__(
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
        logits_to_keep: int = 0,
    ) -> Any:
        """Next-token logits; with `encoder_hidden_states` the layers also attend to them."""
        config = self.config
        check_ids_or_embeds(self, input_ids, inputs_embeds)
        hidden, states, weights, cross, _ = self.model.decoder(
            optional_array(input_ids),
            optional_array(attention_mask),
            optional_array(encoder_hidden_states),
            optional_array(encoder_attention_mask),
            inputs_embeds=inputs_embeds,
            output_hidden_states=flag(output_hidden_states, config.output_hidden_states),
            output_attentions=flag(output_attentions, config.output_attentions),
        )
        logits = self.lm_logits(hidden[:, -logits_to_keep:] if logits_to_keep else hidden)
        loss = cross_entropy(logits, jnp.asarray(labels)) if labels is not None else None
        outputs = CausalLMOutputWithCrossAttentions(
            loss=loss,
            logits=logits,
            hidden_states=states,
            attentions=weights,
            cross_attentions=cross,
        )
        return finish(outputs, return_dict, config)

    # ------------------------------------------------------------ generation hooks
    def _init_cache(self, batch: int, max_length: int) -> Seq2SeqCache:
        decoder = self.model.decoder
        layers = decoder.empty_cache(batch, max_length, self.param_dtype)
        return Seq2SeqCache(layers, tuple(None for _ in layers), None)

    def _generation_positions(self, key_mask: Array, offset: Array) -> Array:
        """The reference numbers decoder positions by cache column, padding included."""
        columns = jnp.arange(key_mask.shape[1])[None] - offset
        return jnp.broadcast_to(jnp.maximum(columns, 0), key_mask.shape)

    def _run_decoder(self, input_ids, position_ids, key_mask, *, cache=None, index=0, encoder=None):
        hidden, _, _, _, cache = self.model.decoder(
            input_ids, key_mask, None, None, positions=position_ids, cache=cache, cache_index=index
        )
        return hidden, cache


__all__ = ["DecoderOnlyCausalLMHead", "DecoderWrapper"]
