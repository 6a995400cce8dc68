"""The BART-family encoder, decoder and base model (`shared`, `encoder`, `decoder`).

A variant is a few class attributes on one-line subclasses:

```python
class MBartEncoder(Seq2SeqEncoder):
    layer_class = MBartEncoderLayer        # pre_norm = True on the layer
    final_norm = True                      # encoder.layer_norm after the last layer
class MarianEncoder(Seq2SeqEncoder):
    positions_class = SinusoidalPositions  # fixed sin/cos table, no offset
    embedding_norm = False                 # no layernorm_embedding
class BartModel(Seq2SeqModel, BartPreTrainedModel):
    encoder_class, decoder_class = BartEncoder, BartDecoder
    derive_decoder_inputs = True           # decoder_input_ids default: input_ids shifted right
```
`scale_embedding` (tokens times sqrt(d_model)) and the sizes come from the config
(`Seq2SeqConfig`). `position_embeddings(...)` is the hook for position schemes that read the
token ids (M2M100's padding-aware numbering).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import (
    BaseModelOutput,
    BaseModelOutputWithPastAndCrossAttentions,
    Seq2SeqModelOutput,
)
from tfx_core.modeling.torch.base import PreTrainedModel
from tfx_core.modeling.torch.blocks.seq2seq import Seq2SeqDecoderLayer, Seq2SeqEncoderLayer
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import (
    LearnedPositions,
    ScaledEmbedding,
    SinusoidalPositions,
)
from tfx_core.modeling.torch.blocks.seq2seq_lean_encoder import lean_encoder_layers, run_lean_layer
from tfx_core.modeling.torch.cache import Cache, DynamicCache, EncoderDecoderCache
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.masks import attention_bias, layer_head_masks
from tfx_core.modeling.torch.shifting import shift_tokens_right

__all__ = [
    "Seq2SeqDecoder",
    "Seq2SeqEncoder",
    "Seq2SeqModel",
    "Seq2SeqPreTrainedModel",
    "as_encoder_outputs",
    "seq2seq_model_output",
]


def _implementation(config: Any, output_attentions: bool) -> str:
    return "eager" if output_attentions else (config.attn_implementation or "sdpa")


class _Stack(nn.Module):
    """Embeddings, positions and layers of one side; the switches are class attributes."""

    layer_class: ClassVar[type[nn.Module]]
    positions_class: ClassVar[type[nn.Module]] = LearnedPositions
    embedding_norm: ClassVar[bool] = True  # `layernorm_embedding` after embeddings + positions
    final_norm: ClassVar[bool] = False  # `layer_norm` after the last layer
    #: `embed_tokens` (False: a stack fed `inputs_embeds` only, e.g. Speech2Text's encoder)
    token_embeddings: ClassVar[bool] = True
    layers_field: ClassVar[str]
    layerdrop_field: ClassVar[str]

    def __init__(self, config: Any, embed_tokens: nn.Embedding | None = None) -> None:
        super().__init__()
        self.config = config
        self.dropout = float(config.dropout)
        self.layerdrop = float(getattr(config, self.layerdrop_field, 0.0) or 0.0)
        dim = config.d_model
        self.padding_idx = config.pad_token_id
        self.embed_scale = math.sqrt(dim) if getattr(config, "scale_embedding", False) else 1.0
        if self.token_embeddings:
            self.embed_tokens = ScaledEmbedding(
                self.vocab_size(config), dim, self.padding_idx, embed_scale=self.embed_scale
            )
            if embed_tokens is not None:
                self.embed_tokens.weight = embed_tokens.weight
        self.embed_positions = self.positions_class(config.max_position_embeddings, dim)
        count = getattr(config, self.layers_field)
        self.layers = nn.ModuleList(self.layer_class(config, i) for i in range(count))
        if self.embedding_norm:
            self.layernorm_embedding = nn.LayerNorm(dim)
        if self.final_norm:
            self.layer_norm = nn.LayerNorm(dim)

    def vocab_size(self, config: Any) -> int:
        return config.vocab_size

    def position_embeddings(
        self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor, past_length: int
    ) -> torch.Tensor:
        """Position vectors `[length, dim]` (or `[batch, length, dim]`) for new tokens."""
        length = inputs_embeds.shape[1]
        positions = torch.arange(past_length, past_length + length, device=inputs_embeds.device)
        return self.embed_positions(positions)

    def embed(
        self,
        input_ids: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        past_length: int,
    ) -> torch.Tensor:
        """Token embeddings + positions, the embedding norm and dropout."""
        if (input_ids is None) == (inputs_embeds is None):
            raise ConfigError(
                f"{type(self).__name__}: pass exactly one of input_ids or inputs_embeds."
            )
        if inputs_embeds is None:
            inputs_embeds = self.embed_tokens(input_ids)
        positions = self.position_embeddings(input_ids, inputs_embeds, past_length)
        hidden = inputs_embeds + positions.to(inputs_embeds.dtype)
        if self.embedding_norm:
            hidden = self.layernorm_embedding(hidden)
        return self.dropped(hidden)

    def dropped(self, hidden: torch.Tensor) -> torch.Tensor:
        if self.training and self.dropout:
            return nn.functional.dropout(hidden, p=self.dropout, training=True)
        return hidden

    def skipped(self) -> bool:
        """LayerDrop: in training, skip a layer with probability `layerdrop`."""
        return self.training and self.layerdrop > 0 and bool(torch.rand([]) < self.layerdrop)

    def finish(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(hidden) if self.final_norm else hidden


@trusted_forward
class Seq2SeqEncoder(_Stack):
    """The encoder: bidirectional self-attention over the source tokens."""

    layer_class = Seq2SeqEncoderLayer
    layers_field = "encoder_layers"
    layerdrop_field = "encoder_layerdrop"

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        config = self.config
        output_attentions = bool(
            config.output_attentions if output_attentions is None else output_attentions
        )
        output_hidden_states = bool(
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        hidden = self.embed(input_ids, inputs_embeds, 0)
        bias, _ = attention_bias(
            attention_mask, query_length=hidden.shape[1], dtype=hidden.dtype, device=hidden.device
        )
        head_masks = layer_head_masks(head_mask, len(self.layers), hidden.dtype)
        implementation = _implementation(config, output_attentions)
        lean = None  # the layers bound (`seq2seq_lean_encoder`), when nothing else is asked
        if head_masks is None and not (output_attentions or output_hidden_states):
            lean = lean_encoder_layers(self)
        all_hidden: list[torch.Tensor] = []
        all_weights: list[torch.Tensor | None] = []
        for index, layer in enumerate(self.layers):
            if lean is not None:
                if not self.skipped():
                    hidden = run_lean_layer(hidden, bias, lean[index], implementation)
                continue
            if output_hidden_states:
                all_hidden.append(hidden)
            if self.skipped():
                weights = None
            else:
                hidden, weights = layer(
                    hidden,
                    bias,
                    head_masks[index] if head_masks is not None else None,
                    output_attentions,
                    implementation,
                )
            if output_attentions:
                all_weights.append(weights)
        hidden = self.finish(hidden)
        if output_hidden_states:
            all_hidden.append(hidden)
        outputs = BaseModelOutput(
            last_hidden_state=hidden,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_weights) if output_attentions else None,
        )
        use_dict = config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()


def as_seq2seq_cache(past_key_values: Any, encoder_decoder: bool) -> Cache:
    """A cache object from None, a legacy tuple or a cache (a new one matching the model)."""
    if past_key_values is None:
        return EncoderDecoderCache() if encoder_decoder else DynamicCache()
    if isinstance(past_key_values, Cache):
        return past_key_values
    if isinstance(past_key_values, (tuple, list)):
        if encoder_decoder:
            return EncoderDecoderCache.from_legacy_cache(past_key_values)
        return DynamicCache.from_legacy_cache(past_key_values)
    raise ConfigError(
        "past_key_values must be an EncoderDecoderCache (or DynamicCache for a decoder alone) or "
        f"the legacy tuple per layer; got {type(past_key_values).__name__}."
    )


@trusted_forward
class Seq2SeqDecoder(_Stack):
    """The decoder: causal self-attention (KV cache) and cross-attention over the encoder."""

    layer_class = Seq2SeqDecoderLayer
    layers_field = "decoder_layers"
    layerdrop_field = "decoder_layerdrop"

    def vocab_size(self, config: Any) -> int:
        return getattr(config, "decoder_vocab_size", None) or config.vocab_size

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        past_key_values: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.Tensor | None = None,
    ) -> Any:
        config = self.config
        output_attentions = bool(
            config.output_attentions if output_attentions is None else output_attentions
        )
        output_hidden_states = bool(
            config.output_hidden_states if output_hidden_states is None else output_hidden_states
        )
        use_cache = bool(config.use_cache if use_cache is None else use_cache)
        if self.training:
            use_cache = False
        cache = (
            as_seq2seq_cache(past_key_values, encoder_hidden_states is not None)
            if (use_cache or past_key_values is not None)
            else None
        )
        if isinstance(cache, EncoderDecoderCache):
            self_cache, cross_cache = cache.self_attention_cache, cache.cross_attention_cache
        else:
            self_cache, cross_cache = cache, None
        past = self_cache.get_seq_length() if self_cache is not None else 0
        if cache_position is not None and past == 0 and int(cache_position[0]) > 0:
            past = int(cache_position[0])
        hidden = self.embed(input_ids, inputs_embeds, past)
        length = hidden.shape[1]
        bias, is_causal = attention_bias(
            attention_mask,
            query_length=length,
            dtype=hidden.dtype,
            device=hidden.device,
            causal=True,
            past_length=past,
            key_length=self_cache.get_max_cache_shape()
            if self_cache is not None and self_cache.is_static
            else None,
        )
        encoder_bias = None
        if encoder_hidden_states is not None:
            encoder_bias, _ = attention_bias(
                encoder_attention_mask,
                query_length=length,
                dtype=hidden.dtype,
                device=hidden.device,
                key_length=encoder_hidden_states.shape[1],
            )
        head_masks = layer_head_masks(head_mask, len(self.layers), hidden.dtype)
        cross_head_masks = layer_head_masks(cross_attn_head_mask, len(self.layers), hidden.dtype)
        implementation = _implementation(config, output_attentions)
        all_hidden: list[torch.Tensor] = []
        all_weights: list[torch.Tensor | None] = []
        all_cross: list[torch.Tensor | None] = []
        for index, layer in enumerate(self.layers):
            if output_hidden_states:
                all_hidden.append(hidden)
            if self.skipped():
                weights = cross_weights = None
            else:
                hidden, weights, cross_weights = layer(
                    hidden,
                    bias,
                    is_causal,
                    self_cache,
                    encoder_hidden_states,
                    encoder_bias,
                    cross_cache,
                    head_masks[index] if head_masks is not None else None,
                    output_attentions,
                    implementation,
                    cross_head_masks[index] if cross_head_masks is not None else None,
                )
            if output_attentions:
                all_weights.append(weights)
                all_cross.append(cross_weights)
        hidden = self.finish(hidden)
        if output_hidden_states:
            all_hidden.append(hidden)
        cross_out = None
        if output_attentions and encoder_hidden_states is not None:
            cross_out = tuple(all_cross)
        outputs = BaseModelOutputWithPastAndCrossAttentions(
            last_hidden_state=hidden,
            past_key_values=cache if use_cache else None,
            hidden_states=tuple(all_hidden) if output_hidden_states else None,
            attentions=tuple(all_weights) if output_attentions else None,
            cross_attentions=cross_out,
        )
        use_dict = config.return_dict if return_dict is None else return_dict
        return outputs if use_dict else outputs.to_tuple()


class _FallbackReader:
    """A checkpoint reader that also answers for keys it lacks, from another key's tensor."""

    def __init__(self, reader: Any, extra: dict[str, str]) -> None:
        self.reader = reader
        self.extra = extra

    def keys(self) -> list[str]:
        return [*self.reader.keys(), *self.extra]

    def shape(self, key: str) -> tuple[int, ...]:
        return self.reader.shape(self.extra.get(key, key))

    def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
        return self.reader.get(self.extra.get(key, key), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.reader, name)


class Seq2SeqPreTrainedModel(PreTrainedModel):
    """Base of a BART-family architecture's classes: init (`init_std`) and tying with heads.

    `embedding_fallbacks` (key -> keys holding the same tied tensor) lets checkpoints that store
    the token embeddings under another tied name load: `facebook/bart-large-cnn` keeps them in
    `decoder.embed_tokens` only, a `...Model` checkpoint in `shared` only. Architectures with
    untied decoder embeddings (Marian without shared vocabularies) set it to `{}`.
    """

    base_model_prefix = "model"
    embedding_fallbacks: ClassVar[dict[str, tuple[str, ...]]] = {
        "shared.weight": ("decoder.embed_tokens.weight", "encoder.embed_tokens.weight"),
        "decoder.embed_tokens.weight": ("shared.weight",),
    }

    def _load_from_reader(self, reader: Any, dtype: torch.dtype, device: torch.device) -> Any:
        present = set(reader.keys())
        wanted = set(self.state_dict(keep_vars=True)) - set(self._tied_pairs())
        prefix = self.base_model_prefix + "."
        extra: dict[str, str] = {}
        for target, sources in self.embedding_fallbacks.items():
            forms = (target, prefix + target)
            if not any(form in wanted for form in forms) or any(f in present for f in forms):
                continue
            for source in sources:
                pairs = ((source, target), (prefix + source, prefix + target))
                # name the copy the way the checkpoint names its keys (with or without prefix)
                hits = {form: found for found, form in pairs if found in present}
                if hits:
                    extra.update(hits)
                    break
        if extra:
            reader = _FallbackReader(reader, extra)
        return super()._load_from_reader(reader, dtype, device)

    def _init_weights(self, module: nn.Module) -> None:
        std = getattr(self.config, "init_std", 0.02)
        with torch.no_grad():
            if isinstance(module, SinusoidalPositions):
                module.reset_table()
            elif isinstance(module, nn.Linear):
                module.weight.normal_(mean=0.0, std=std)
                if module.bias is not None:
                    module.bias.zero_()
            elif isinstance(module, nn.Embedding):
                module.weight.normal_(mean=0.0, std=std)
                if module.padding_idx is not None:
                    module.weight[module.padding_idx].zero_()
            elif isinstance(module, nn.LayerNorm):
                module.weight.fill_(1.0)
                module.bias.zero_()
            final_bias = module._buffers.get("final_logits_bias")
            if final_bias is not None:
                final_bias.zero_()

    def _tied_pairs(self) -> dict[str, str]:
        """This class's ties plus its base model's, prefixed (heads keep the base's ties)."""
        pairs = super()._tied_pairs()
        base = self._base_model()
        if base is not None:
            prefix = self.base_model_prefix
            for alias, source in base._tied_pairs().items():
                pairs.setdefault(f"{prefix}.{alias}", f"{prefix}.{source}")
        return pairs

    def get_encoder(self) -> nn.Module:
        return self.base_model.encoder

    def get_decoder(self) -> nn.Module:
        return self.base_model.decoder


@trusted_forward
class Seq2SeqModel:
    """The base model (mixed in before the plugin's `Seq2SeqPreTrainedModel` subclass)."""

    encoder_class: ClassVar[type[nn.Module]] = Seq2SeqEncoder
    decoder_class: ClassVar[type[nn.Module]] = Seq2SeqDecoder
    #: decoder_input_ids default to `shift_tokens_right(input_ids)` (BART); else required
    derive_decoder_inputs: ClassVar[bool] = False
    shared_weights: ClassVar[dict[str, str]] = {
        "encoder.embed_tokens.weight": "shared.weight",
        "decoder.embed_tokens.weight": "shared.weight",
    }

    def __init__(self, config: Any) -> None:
        super().__init__(config)  # type: ignore[call-arg]
        scale = math.sqrt(config.d_model) if getattr(config, "scale_embedding", False) else 1.0
        self.shared = ScaledEmbedding(
            config.vocab_size, config.d_model, config.pad_token_id, embed_scale=scale
        )
        self.encoder = self.encoder_class(config)
        self.decoder = self.decoder_class(config)
        self.post_init()  # type: ignore[attr-defined]

    def get_input_embeddings(self) -> nn.Module:
        return self.shared

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.shared = value
        self.encoder.embed_tokens = value
        self.decoder.embed_tokens = value

    def get_encoder(self) -> nn.Module:
        return self.encoder

    def get_decoder(self) -> nn.Module:
        return self.decoder

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        decoder_head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.Tensor | None = None,
    ) -> Any:
        config = self.config  # type: ignore[attr-defined]
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            if not self.derive_decoder_inputs or input_ids is None:
                raise ConfigError(
                    f"{type(self).__name__} needs decoder_input_ids (or decoder_inputs_embeds, "
                    "or labels on the ...ForConditionalGeneration head)."
                )
            decoder_input_ids = shift_tokens_right(
                input_ids, config.pad_token_id, config.decoder_start_token_id
            )
        encoder_outputs = self.encode(
            encoder_outputs,
            input_ids,
            attention_mask,
            head_mask,
            inputs_embeds,
            output_attentions,
            output_hidden_states,
        )
        decoder_outputs = self.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            encoder_hidden_states=encoder_outputs.last_hidden_state,
            encoder_attention_mask=attention_mask,
            head_mask=decoder_head_mask,
            cross_attn_head_mask=cross_attn_head_mask,
            past_key_values=past_key_values,
            inputs_embeds=decoder_inputs_embeds,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
            cache_position=cache_position,
        )
        outputs = seq2seq_model_output(encoder_outputs, decoder_outputs)
        return self.model_outputs(outputs, return_dict)  # type: ignore[attr-defined]

    def encode(
        self,
        encoder_outputs: Any,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor | None,
        head_mask: torch.Tensor | None,
        inputs_embeds: torch.Tensor | None,
        output_attentions: bool | None,
        output_hidden_states: bool | None,
    ) -> BaseModelOutput:
        """The caller's `encoder_outputs` (output object or tuple), else a run of the encoder."""
        if encoder_outputs is not None:
            return as_encoder_outputs(encoder_outputs)
        return self.encoder(
            input_ids=input_ids,
            attention_mask=attention_mask,
            head_mask=head_mask,
            inputs_embeds=inputs_embeds,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
        )


def as_encoder_outputs(value: Any) -> BaseModelOutput:
    """A caller's `encoder_outputs` (an output object, a tuple or a tensor) as a
    `BaseModelOutput`."""
    if isinstance(value, BaseModelOutput):
        return value
    if isinstance(value, torch.Tensor):
        return BaseModelOutput(last_hidden_state=value)
    if isinstance(value, (tuple, list)) and value:
        return BaseModelOutput(
            last_hidden_state=value[0],
            hidden_states=value[1] if len(value) > 1 else None,
            attentions=value[2] if len(value) > 2 else None,
        )
    if hasattr(value, "last_hidden_state"):
        return BaseModelOutput(
            last_hidden_state=value.last_hidden_state,
            hidden_states=getattr(value, "hidden_states", None),
            attentions=getattr(value, "attentions", None),
        )
    raise ConfigError(
        "encoder_outputs must be the encoder's output (BaseModelOutput) or a tuple whose "
        f"first item is its last hidden state; got {type(value).__name__}."
    )


def seq2seq_model_output(encoded: BaseModelOutput, decoded: Any) -> Seq2SeqModelOutput:
    """An encoder-decoder model's output from its encoder's and its decoder's."""
    return Seq2SeqModelOutput(
        last_hidden_state=decoded.last_hidden_state,
        past_key_values=decoded.past_key_values,
        decoder_hidden_states=decoded.hidden_states,
        decoder_attentions=decoded.attentions,
        cross_attentions=decoded.cross_attentions,
        encoder_last_hidden_state=encoded.last_hidden_state,
        encoder_hidden_states=encoded.hidden_states,
        encoder_attentions=encoded.attentions,
    )
