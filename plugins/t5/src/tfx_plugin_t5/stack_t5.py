"""`T5Stack`: T5's encoder or decoder (`embed_tokens`, `block`, `final_layer_norm`).

One forward: embed, build the additive masks, compute the relative position bias once with the
first block's table (queries at their absolute positions, so a cached decoding step gets the
bias of its own position), add the mask to it, run every block with that one bias, normalise.
The decoder keeps its keys and values in an `EncoderDecoderCache` (self-attention entries grow
by one position per step; the encoder's projected keys and values are stored on the first call).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPastAndCrossAttentions
from tfx_core.modeling.torch.attention import causal_mask
from tfx_core.modeling.torch.cache import (
    Cache,
    CrossAttentionCache,
    DynamicCache,
    EncoderDecoderCache,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.masks import attention_bias, layer_head_masks
from tfx_plugin_t5.layers_t5 import T5Block, T5LayerNorm

__all__ = ["T5Stack"]


def as_encoder_decoder_cache(past_key_values: Any) -> EncoderDecoderCache | None:
    """The decoder's cache in the one form the layers read (legacy tuples converted)."""
    if past_key_values is None or isinstance(past_key_values, EncoderDecoderCache):
        return past_key_values
    if isinstance(past_key_values, Cache):
        return EncoderDecoderCache(past_key_values, CrossAttentionCache())
    if isinstance(past_key_values, (tuple, list)):
        return EncoderDecoderCache.from_legacy_cache(past_key_values)
    raise ConfigError(
        "past_key_values must be an EncoderDecoderCache, a Cache or the legacy tuples, "
        f"got {type(past_key_values).__name__}."
    )


@trusted_forward
class T5Stack(nn.Module):
    """The encoder (`is_decoder=False`) or decoder stack of T5, sharing `embed_tokens`."""

    def __init__(
        self,
        config: Any,
        embed_tokens: nn.Embedding | None = None,
        *,
        is_decoder: bool = False,
        num_layers: int | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.is_decoder = is_decoder
        self.embed_tokens = embed_tokens
        layers = config.num_layers if num_layers is None else num_layers
        self.block = nn.ModuleList(
            [T5Block(config, i == 0, i, is_decoder=is_decoder) for i in range(layers)]
        )
        self.final_layer_norm = T5LayerNorm(config.d_model, eps=config.layer_norm_epsilon)
        self.dropout = nn.Dropout(config.dropout_rate)

    def get_input_embeddings(self) -> nn.Embedding | None:
        return self.embed_tokens

    def set_input_embeddings(self, embeddings: nn.Embedding) -> None:
        self.embed_tokens = embeddings

    # ------------------------------------------------------------------ masks
    def self_attention_bias(
        self,
        attention_mask: torch.Tensor | None,
        positions: torch.Tensor,
        key_length: int,
        dtype: torch.dtype,
    ) -> torch.Tensor | None:
        """Relative position bias + padding (and, in the decoder, causal) mask: `[b|1, h, q, k]`."""
        query_length = positions.shape[0]
        past = key_length - query_length
        mask, is_causal = attention_bias(
            attention_mask,
            query_length=query_length,
            dtype=dtype,
            device=positions.device,
            causal=self.is_decoder,
            past_length=past,
            key_length=key_length,
        )
        if mask is None and is_causal:
            mask = causal_mask(None, query_length, key_length, dtype, positions.device)
        first = self.block[0].layer[0].SelfAttention if len(self.block) else None
        if first is None or not first.has_relative_attention_bias:
            return mask
        bias = first.compute_bias(positions, key_length).to(dtype)
        return bias if mask is None else bias + mask

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        past_key_values: Any = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.Tensor | None = None,
    ) -> Any:
        config = self.config
        output_attentions = (
            config.output_attentions if output_attentions is None else output_attentions
        )
        if output_hidden_states is None:
            output_hidden_states = config.output_hidden_states
        prefix = "decoder_" if self.is_decoder else ""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError(f"Pass exactly one of {prefix}input_ids and {prefix}inputs_embeds.")
        if inputs_embeds is None:
            if self.embed_tokens is None:
                raise ConfigError("This T5Stack has no embed_tokens: pass inputs_embeds.")
            inputs_embeds = self.embed_tokens(input_ids.view(-1, input_ids.shape[-1]))
        length = inputs_embeds.shape[1]
        dtype, device = inputs_embeds.dtype, inputs_embeds.device

        cache = None
        if self.is_decoder:
            use_cache = config.use_cache if use_cache is None else use_cache
            cache = as_encoder_decoder_cache(past_key_values)
            if cache is None and use_cache:
                cache = EncoderDecoderCache(DynamicCache(), CrossAttentionCache())
        past = cache.get_seq_length() if cache is not None else 0
        if cache_position is None:
            cache_position = torch.arange(past, past + length, device=device)
        position_bias = self.self_attention_bias(
            attention_mask, cache_position, past + length, dtype
        )
        cross_bias = None
        if self.is_decoder and encoder_hidden_states is not None:
            cross_bias, _ = attention_bias(
                encoder_attention_mask,
                query_length=length,
                dtype=dtype,
                device=device,
                key_length=encoder_hidden_states.shape[1],
            )
        layers = len(self.block)
        head_masks = layer_head_masks(head_mask, layers, dtype) or [None] * layers
        cross_head_masks = layer_head_masks(cross_attn_head_mask, layers, dtype) or [None] * layers

        all_hidden: tuple | None = () if output_hidden_states else None
        all_attentions: tuple | None = () if output_attentions else None
        all_cross: tuple | None = () if output_attentions and self.is_decoder else None
        hidden = self.dropout(inputs_embeds)
        for index, block in enumerate(self.block):
            if all_hidden is not None:
                all_hidden += (hidden,)
            hidden, weights, cross_weights = block(
                hidden,
                position_bias,
                encoder_hidden_states,
                cross_bias,
                head_masks[index],
                cross_head_masks[index],
                cache.self_attention_cache if cache is not None else None,
                cache.cross_attention_cache if cache is not None else None,
                output_attentions,
            )
            if all_attentions is not None:
                all_attentions += (weights,)
            if all_cross is not None:
                all_cross += (cross_weights,)
        hidden = self.dropout(self.final_layer_norm(hidden))
        if all_hidden is not None:
            all_hidden += (hidden,)
        outputs = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden,
            past_key_values=cache,
            hidden_states=all_hidden,
            attentions=all_attentions,
            cross_attentions=all_cross,
        )
        use_dict = config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()
