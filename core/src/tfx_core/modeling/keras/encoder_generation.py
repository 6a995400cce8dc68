"""`generate` for causal LMs on the BERT-style encoder (`TFEncoderModel` with `is_decoder`).

BERT's `LMHeadModel` and RoBERTa's `ForCausalLM` decode with the XLA loops of `generation.py`:
the encoder layers' `step` methods run over a static KV cache, and positions count the real
tokens before each one, as the reference numbers them when it generates from a padded prompt.
"""

from __future__ import annotations

from typing import Any

from tfx_core.errors import GenerationError
from tfx_core.generation.config import GenerationConfig
from tfx_core.modeling.keras.backend import tf
from tfx_core.modeling.keras.blocks.decoder import empty_cache
from tfx_core.modeling.keras.generation import TFGenerationMixin


class TFEncoderCausalLMGeneration(TFGenerationMixin):
    """Adds `generate` to a causal-LM head whose base model is a `TFEncoderModel`."""

    def _resolve(self, generation_config: GenerationConfig | None, kwargs: dict) -> Any:
        if not self.config.is_decoder:
            raise GenerationError(
                f"{type(self).__name__} generates left to right only with a causal encoder: "
                "load it with is_decoder=True (from_pretrained(..., is_decoder=True))."
            )
        return super()._resolve(generation_config, kwargs)

    def _context_length(self) -> int:
        return self.config.max_position_embeddings

    def init_cache(self, batch: Any, max_length: int) -> tuple:
        config = self.config
        heads = config.num_attention_heads
        dtype = tf.as_dtype(self.compute_dtype)
        return empty_cache(
            config.num_hidden_layers, batch, max_length, heads, config.hidden_size // heads, dtype
        )

    def decode(
        self, input_ids: Any, position_ids: Any, bias: Any, cache: tuple, index: Any
    ) -> tuple[Any, tuple]:
        base = self.base_model
        hidden = base.embeddings(input_ids, position_ids=position_ids)
        hidden, cache = base.encoder.step(hidden, bias, cache, index)
        return self.lm_logits(hidden[:, -1]), cache
