"""The base model of a decoder-only architecture: embeddings, pre-norm layers, final norm.

`DecoderModel` is mixed in before the plugin's `PreTrainedModel` subclass. The plugin writes
`forward` with the reference's signature and calls `decoder_forward`, and names its embedding
modules with class attributes; the default `embed` is the GPT family's: token embeddings
(`token_embedding_attribute`, optionally scaled by `token_scale()`), plus positions
(`position_embeddings`: the learned table `position_embedding_attribute`, or none for rotary
models, or an override such as CTRL's sinusoids), plus token-type embeddings through the token
table, then dropout (`embedding_dropout_attribute`) while training; `context_field` names the
config field bounding the positions. Rotary models override `layer_positions`. `embed` is
also what the one-token decode plan calls, so an architecture's embedding math exists once.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPast
from tfx_core.modeling.torch.blocks.decoder import run_layers
from tfx_core.modeling.torch.cache import (
    Cache,
    DynamicCache,
    EncoderDecoderCache,
    sliding_windows,
)
from tfx_core.modeling.torch.masks import (
    attention_bias,
    layer_head_masks,
    sliding_window_bias,
)


class DecoderModel:
    """Decoder-only base model: `layers_attribute` (a ModuleList) and `final_norm_attribute`
    (None: no final norm, as in the post-norm OpenAI GPT)."""

    layers_attribute: ClassVar[str] = "layers"
    final_norm_attribute: ClassVar[str | None] = "norm"
    token_embedding_attribute: ClassVar[str] = "wte"
    position_embedding_attribute: ClassVar[str | None] = None  # e.g. GPT-2's "wpe"
    embedding_dropout_attribute: ClassVar[str | None] = "drop"
    context_field: ClassVar[str | None] = "n_positions"  # None: no bound checked here

    def token_scale(self) -> float | None:
        """The factor token embeddings are multiplied by (None: 1, nothing computed)."""
        return None

    def position_embeddings(
        self, position_ids: torch.Tensor | None, past_length: int, length: int, device: Any
    ) -> torch.Tensor | None:
        """Position vectors added to the tokens: rows of the learned table
        `position_embedding_attribute` (`past_length ...` when `position_ids` is None)."""
        if self.position_embedding_attribute is None:
            return None
        table = getattr(self, self.position_embedding_attribute)
        if position_ids is None:
            return table.weight[past_length : past_length + length]
        return table(position_ids)

    def embed(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        position_ids: torch.Tensor | None,
        token_type_ids: torch.Tensor | None,
        past_length: int,
    ) -> torch.Tensor:
        """Hidden states `[batch, length, hidden]` entering the first layer (see module doc)."""
        tokens = getattr(self, self.token_embedding_attribute)
        if inputs_embeds is None:
            inputs_embeds = tokens(input_ids)
        length = inputs_embeds.shape[1]
        self.check_context(past_length + length)
        scale = self.token_scale()
        hidden = inputs_embeds if scale is None else inputs_embeds * scale
        positions = self.position_embeddings(position_ids, past_length, length, hidden.device)
        if positions is not None:
            hidden = (hidden + positions).to(inputs_embeds.dtype)
        if token_type_ids is not None:
            types = tokens(token_type_ids)
            hidden = hidden + (types if scale is None else types * scale)
        dropout = self.embedding_dropout_attribute
        return getattr(self, dropout)(hidden) if self.training and dropout else hidden

    def check_context(self, positions: int) -> None:
        """A `ConfigError` when the input reaches past the model's learned context."""
        field = self.context_field
        if field is None:
            return
        context = getattr(self.config, field)  # type: ignore[attr-defined]
        if positions > context:
            raise ConfigError(
                f"The input reaches position {positions} but the context of "
                f"{type(self).__name__} is {context} positions ({field}): shorten the input."
            )

    def layer_positions(
        self, position_ids: torch.Tensor | None, past_length: int, length: int
    ) -> Any:
        """What each layer's attention needs to place tokens (rotary cos/sin); None here."""
        return None

    def decoder_layers(self) -> nn.ModuleList:
        return getattr(self, self.layers_attribute)

    def attention_window(self) -> int | None:
        """How many most recent positions (itself included) a token attends to; None: all.

        Mistral-style models return `config.sliding_window`; both the module path and the
        one-token decode plan apply it through `sliding_window_bias`.
        """
        return None

    def decoder_forward(
        self,
        input_ids: torch.Tensor | None = None,
        *,
        past_key_values: Cache | tuple | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
    ) -> Any:
        """Embeddings -> `attention_bias` -> layers -> final norm, with a KV cache.

        With `encoder_hidden_states` (a decoder built with `add_cross_attention`) each layer
        also attends over them; an `EncoderDecoderCache` keeps their projected keys/values.
        """
        config = self.config  # type: ignore[attr-defined]
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError("Pass exactly one of input_ids or inputs_embeds.")
        output_attentions, output_hidden_states = self.output_flags(  # type: ignore[attr-defined]
            output_attentions, output_hidden_states
        )
        use_cache = bool(getattr(config, "use_cache", True) if use_cache is None else use_cache)
        cache = _as_cache(past_key_values, config) if use_cache else None
        if use_cache and past_key_values is None and encoder_hidden_states is not None:
            cache = EncoderDecoderCache()
        past = cache.get_seq_length() if cache is not None else 0
        hidden = self.embed(input_ids, inputs_embeds, position_ids, token_type_ids, past)
        length = hidden.shape[1]
        bias, is_causal = attention_bias(
            attention_mask,
            query_length=length,
            dtype=hidden.dtype,
            device=hidden.device,
            causal=True,
            past_length=past,
            key_length=cache.get_max_cache_shape()
            if cache is not None and cache.is_static
            else None,
        )
        window = self.attention_window()
        if window is not None:
            bias, is_causal = sliding_window_bias(bias, is_causal, window, past, length, hidden)
        layers = self.decoder_layers()
        implementation = "eager" if output_attentions else config.attn_implementation or "sdpa"
        hidden, all_hidden, all_weights = run_layers(
            layers,
            hidden,
            bias=bias,
            is_causal=is_causal,
            cache=cache,
            head_masks=layer_head_masks(head_mask, len(layers), hidden.dtype),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            implementation=implementation,
            positions=self.layer_positions(position_ids, past, length),
            **_cross_inputs(encoder_hidden_states, encoder_attention_mask, cache, hidden),
        )
        if self.final_norm_attribute is not None:
            hidden = getattr(self, self.final_norm_attribute)(hidden)
        if all_hidden is not None:
            all_hidden.append(hidden)
        outputs = BaseModelOutputWithPast(
            last_hidden_state=hidden,
            past_key_values=cache,
            hidden_states=tuple(all_hidden) if all_hidden is not None else None,
            attentions=tuple(all_weights) if all_weights is not None else None,
        )
        return self.model_outputs(outputs, return_dict)  # type: ignore[attr-defined]


def _cross_inputs(
    states: torch.Tensor | None,
    mask: torch.Tensor | None,
    cache: Cache | None,
    hidden: torch.Tensor,
) -> dict[str, Any]:
    """`run_layers`' cross-attention arguments (none without encoder states)."""
    if states is None:
        return {}
    bias, _ = attention_bias(
        mask,
        query_length=hidden.shape[1],
        key_length=states.shape[1],
        dtype=hidden.dtype,
        device=hidden.device,
    )
    cross_cache = getattr(cache, "cross_attention_cache", None)
    return {"encoder_hidden_states": states, "encoder_bias": bias, "cross_cache": cross_cache}


def _as_cache(past_key_values: Cache | tuple | list | None, config: Any) -> Cache:
    """The forward's cache: a new one for `config` (sliding layers as the reference's), the
    given one, or one filled from legacy tuples (no sliding layers, as the reference's)."""
    if past_key_values is None:
        return DynamicCache(windows=sliding_windows(config))
    if isinstance(past_key_values, Cache):
        return past_key_values
    if isinstance(past_key_values, (tuple, list)):
        return DynamicCache.from_legacy_cache(past_key_values)
    raise ConfigError(
        "past_key_values must be a Cache (DynamicCache, StaticCache) or the legacy tuple of "
        f"(key, value) pairs per layer; got {type(past_key_values).__name__}."
    )


__all__ = ["DecoderModel", "sliding_window_bias"]
