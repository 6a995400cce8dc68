"""`generate` for Flax encoder-decoders: the encoder runs once, inside the compiled program.

The source is right-padded to a length bucket (powers of two from 16) and handed to the
decoding programs of `generation_programs.py` as their `context`; the model's
`_generation_cache(batch, max_length, context)` encodes it, projects every decoder layer's
cross-attention keys/values once (before beams / samples are expanded) and preallocates the
self-attention cache. The decoder starts from `decoder_start_token_id` (or the caller's
`decoder_input_ids`); lengths (`max_length`, `min_length`, `max_new_tokens`) count decoder
tokens, start token included, as in the reference. `encoder_outputs=` (the encoder's states,
e.g. from `model.encode`) skips the encoder: the states are padded to the bucket instead.

Models give `_seq2seq_base()` (the module with `encode` and `decoder`, whose `cross_keys_values`
and `empty_cache` build the cache) and `_run_decoder` (`DecoderStackGeneration`); with
`use_cache=False` each step reruns the decoder over the whole buffer against the encoded source.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig
from tfx_core.modeling.flax.generation import FlaxGenerationMixin
from tfx_core.modeling.flax.generation_programs import prompt_bucket
from tfx_core.modeling.flax.seq2seq import Seq2SeqCache

Array = jax.Array


class DecoderStackGeneration(FlaxGenerationMixin):
    """Generation steps of heads that run a decoder stack and `lm_logits`: the model gives
    `_run_decoder(input_ids, position_ids, key_mask, *, cache, index, encoder)` -> (hidden,
    cache), `encoder` being `(states, mask)` or None."""

    def _run_decoder(
        self,
        input_ids: Array,
        position_ids: Array,
        key_mask: Array,
        *,
        cache: Any = None,
        index: Any = 0,
        encoder: tuple[Array, Array] | None = None,
    ) -> tuple[Array, Any]:
        raise NotImplementedError

    def _decode_step(self, input_ids, position_ids, key_mask, cache, index):
        if cache is None:
            return self._recompute_step(input_ids, position_ids, key_mask, None, index), None
        hidden, cache = self._run_decoder(
            input_ids, position_ids, key_mask, cache=cache, index=index
        )
        return self.lm_logits(hidden[:, -1]), cache

    def _recompute_step(self, input_ids, position_ids, key_mask, context, index):
        hidden, _ = self._run_decoder(input_ids, position_ids, key_mask, encoder=context)
        return self.lm_logits(jax.lax.dynamic_index_in_dim(hidden, index, axis=1, keepdims=False))


class FlaxSeq2SeqGenerationMixin(DecoderStackGeneration):
    """`generate` for encoder-decoder heads (mixed in before the head class); the model gives
    `_run_decoder` and `_seq2seq_base()`, the module with `encode` and `decoder`."""

    def _source_limit(self) -> int | None:
        """The most source positions the encoder reads (None: no limit, e.g. T5)."""
        return getattr(self.config, "max_position_embeddings", None)

    def _decoder_limit(self) -> int | None:
        """The most decoder positions (None: no limit)."""
        return getattr(self.config, "max_position_embeddings", None)

    def _seq2seq_base(self) -> Any:
        return self

    def _generation_cache(self, batch: int, max_length: int, context: Any) -> Any:
        source, source_mask = context
        return self._encoder_cache(source, source_mask, batch // source.shape[0], max_length)

    def _encoded(self, source: Array, source_mask: Array) -> Array:
        """The encoder's states (`source` is token ids, or the states already when the caller
        gave `encoder_outputs`)."""
        if source.ndim == 3:
            return source
        return self._seq2seq_base().encode(source, source_mask).last_hidden_state

    def _encoder_cache(
        self, source: Array, source_mask: Array, rows: int, max_length: int
    ) -> Seq2SeqCache:
        """Every decoder layer's cross-attention keys / values and the encoder's padding bias,
        projected once (then repeated for `rows` beams / samples), and an empty self-attention
        cache."""
        states = self._encoded(source, source_mask)
        decoder = self._seq2seq_base().decoder
        cross = decoder.cross_keys_values(states)
        bias = jnp.where(source_mask[:, None, None, :] > 0, 0.0, jnp.finfo(states.dtype).min)
        if rows > 1:
            cross = jax.tree.map(lambda x: jnp.repeat(x, rows, axis=0), cross)
            bias = jnp.repeat(bias, rows, axis=0)
        layers = decoder.empty_cache(source.shape[0] * rows, max_length, states.dtype)
        return Seq2SeqCache(layers, cross, bias.astype(states.dtype))

    def _recompute_context(self, batch: int, context: Any) -> tuple[Array, Array]:
        """The encoder's states and mask, repeated for each row (beam / sample) of a source."""
        source, source_mask = context
        states, rows = self._encoded(source, source_mask), batch // source.shape[0]
        return jnp.repeat(states, rows, axis=0), jnp.repeat(source_mask, rows, axis=0)

    def generate(
        self,
        input_ids: Any = None,
        attention_mask: Any = None,
        generation_config: GenerationConfig | None = None,
        *,
        decoder_input_ids: Any = None,
        encoder_outputs: Any = None,
        prng_key: Array | None = None,
        seed: int | None = None,
        streamer: Any = None,
        **kwargs: Any,
    ) -> Array:
        """Decoder token ids `[batch * num_return_sequences, length]`, starting with the
        decoder start token. `input_ids` is the (right-padded) source, or `encoder_outputs` its
        encoded states; keyword arguments are `GenerationConfig` fields; sampling draws from
        `prng_key` (or `jax.random.key(seed)`); `streamer` receives each token."""
        config = self._generation_settings(generation_config, kwargs)
        if encoder_outputs is not None:
            source, source_mask = self._encoded_source(encoder_outputs, attention_mask)
        elif input_ids is None:
            raise GenerationError(
                "An encoder-decoder's generate() needs input_ids (the source) or encoder_outputs."
            )
        else:
            source, source_mask = self._prompt(input_ids, attention_mask, config)
        batch, length = source.shape[:2]
        limit = self._source_limit()
        if limit is not None and length > limit:
            raise GenerationError(
                f"The source is {length} tokens long but the encoder reads at most {limit}: "
                "truncate it (tokenizer truncation=True)."
            )
        ids = self._decoder_prompt(decoder_input_ids, batch, config)
        prompt = ids.shape[1]
        max_new = self._seq2seq_max_new(config, prompt)
        bucket = prompt_bucket(prompt, minimum=1)
        decoder_limit = self._decoder_limit()
        if decoder_limit is not None and bucket + max_new > decoder_limit:
            bucket = prompt
            if prompt + max_new > decoder_limit:
                raise GenerationError(
                    f"{prompt + max_new} decoder tokens exceed the decoder's {decoder_limit} "
                    "positions: lower max_new_tokens / max_length."
                )
        width = prompt_bucket(length)
        width = min(width, limit) if limit is not None else width
        pad = config.pad_token_id if config.pad_token_id is not None else 0
        if source.ndim == 3:  # encoder states: zeros past the end (masked)
            padded = np.zeros((batch, width, source.shape[2]), source.dtype)
        else:
            padded = np.full((batch, width), pad, np.int32)
        padded[:, :length] = source
        padded_mask = np.zeros((batch, width), np.int32)
        padded_mask[:, :length] = source_mask
        key = prng_key if prng_key is not None else jax.random.key(0 if seed is None else seed)
        context = (jnp.asarray(padded), jnp.asarray(padded_mask))
        return self._launch(
            ids, np.ones_like(ids), config, bucket, max_new, key, context, streamer=streamer
        )

    def _encoded_source(self, encoder_outputs: Any, attention_mask: Any) -> tuple:
        """Encoder states `[batch, length, dim]` (a `BaseModelOutput`, a tuple, or an array)
        in the model's dtype, and their mask (all ones unless given)."""
        states = getattr(encoder_outputs, "last_hidden_state", None)
        if states is None:
            states = (
                encoder_outputs[0]
                if isinstance(encoder_outputs, (tuple, list))
                else encoder_outputs
            )
        states = np.asarray(states).astype(np.dtype(self.param_dtype))
        if states.ndim != 3 or states.shape[2] != self.config.d_model:
            raise GenerationError(
                f"encoder_outputs must hold states [batch, length, {self.config.d_model}] (the "
                f"encoder's last_hidden_state), got shape {states.shape}."
            )
        if attention_mask is None:
            return states, np.ones(states.shape[:2], np.int32)
        mask = np.asarray(attention_mask).astype(np.int32)
        if mask.shape != states.shape[:2]:
            raise GenerationError(
                f"attention_mask must be shaped {states.shape[:2]} like the encoder states, got "
                f"{mask.shape}."
            )
        return states, mask

    def _decoder_prompt(self, given: Any, batch: int, config: GenerationConfig) -> np.ndarray:
        start = config.decoder_start_token_id
        if start is None:
            start = getattr(self.config, "decoder_start_token_id", None)
        if start is None:
            start = config.bos_token_id
        if isinstance(start, (list, tuple)):
            start = start[0]
        if given is None:
            if start is None:
                raise GenerationError(
                    "Set decoder_start_token_id (generation or model config) or pass "
                    "decoder_input_ids: the decoder needs a first token."
                )
            return np.full((batch, 1), int(start), np.int32)
        ids = np.asarray(given).astype(np.int32)
        ids = ids[None] if ids.ndim == 1 else ids
        if ids.shape[0] != batch:
            raise GenerationError(
                f"decoder_input_ids has {ids.shape[0]} rows for {batch} sources; pass one row "
                "per source."
            )
        if start is not None and not np.all(ids[:, 0] == start):
            ids = np.concatenate([np.full((batch, 1), int(start), np.int32), ids], axis=1)
        return ids

    def _seq2seq_max_new(self, config: GenerationConfig, prompt: int) -> int:
        """New tokens to generate: `max_new_tokens`, else up to `max_length` decoder tokens."""
        if config.max_new_tokens is not None:
            max_length = prompt + config.max_new_tokens
        else:
            max_length = config.max_length
        if config.min_new_tokens is not None:
            config.min_length = prompt + config.min_new_tokens
        if max_length <= prompt:
            raise GenerationError(
                f"The decoder prompt has {prompt} tokens but max_length is {max_length}, so "
                "nothing can be generated: set max_new_tokens (or a larger max_length)."
            )
        return max_length - prompt


__all__ = ["DecoderStackGeneration", "FlaxSeq2SeqGenerationMixin"]
