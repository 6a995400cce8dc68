"""Speech2Text: a convolutional subsampler in front of a pre-norm encoder-decoder.

Read top to bottom:
1. `Conv1dSubsampler` (`encoder.conv.conv_layers.{i}`): each Conv1d has stride 2 and is followed
   by a gated linear unit, so the encoder sees about one frame in 2**num_conv_layers.
2. The padding mask of the log-mel frames becomes one over the subsampled frames
   (`feature_vector_attention_mask`: each row keeps its first `lengths_after_subsampling`).
3. Positions are fairseq's fixed sinusoids (not stored in checkpoints), counted from
   `pad_token_id + 1` over real frames / tokens; padding reads the zero row.
4. The encoder and decoder layers are the core's pre-norm BART-family blocks, with `layer_norm`
   after the last layer of each side and no embedding norm; the decoder's token embeddings
   (scaled by sqrt(d_model)) are tied to `lm_head`. There is no `shared` embedding.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.generation import GenerationMixin
from tfx_core.modeling.torch.blocks.seq2seq import (
    Seq2SeqAttention,
    Seq2SeqCrossAttention,
    Seq2SeqDecoderLayer,
    Seq2SeqEncoderLayer,
)
from tfx_core.modeling.torch.blocks.seq2seq_embeddings import FairseqSinusoidalPositions
from tfx_core.modeling.torch.blocks.seq2seq_heads import ConditionalGenerationHead
from tfx_core.modeling.torch.blocks.seq2seq_model import (
    Seq2SeqDecoder,
    Seq2SeqEncoder,
    Seq2SeqPreTrainedModel,
    as_encoder_outputs,
    seq2seq_model_output,
)
from tfx_core.modeling.torch.lean import trusted_forward
from tfx_core.modeling.torch.linear import Linear
from tfx_plugin_speech_to_text.configuration_speech_to_text import Speech2TextConfig

__all__ = [
    "Speech2TextDecoder",
    "Speech2TextEncoder",
    "Speech2TextForConditionalGeneration",
    "Speech2TextModel",
    "Speech2TextPreTrainedModel",
]


# ----------------------------------------------------------------------------- speech input
class Conv1dSubsampler(nn.Module):
    """Conv1d (stride 2, `padding = kernel // 2`) + GLU over time, per `conv_kernel_sizes`;
    the last one outputs `2 * d_model` channels, so the GLU leaves `d_model`."""

    def __init__(self, config: Speech2TextConfig) -> None:
        super().__init__()
        count = config.num_conv_layers
        middle = config.conv_channels
        first_in = config.input_feat_per_channel * config.input_channels
        self.conv_layers = nn.ModuleList(
            nn.Conv1d(
                first_in if i == 0 else middle // 2,
                middle if i < count - 1 else 2 * config.d_model,
                kernel_size=kernel,
                stride=2,
                padding=kernel // 2,
            )
            for i, kernel in enumerate(config.conv_kernel_sizes)
        )

    def forward(self, input_features: torch.Tensor) -> torch.Tensor:
        """`[batch, frames, features]` -> `[batch, subsampled frames, d_model]`."""
        hidden = input_features.transpose(1, 2)
        for conv in self.conv_layers:
            hidden = nn.functional.glu(conv(hidden), dim=1)
        return hidden.transpose(1, 2)


def lengths_after_subsampling(lengths: torch.Tensor, num_conv_layers: int) -> torch.Tensor:
    """Frames left after `num_conv_layers` stride-2 convolutions with `kernel // 2` padding."""
    for _ in range(num_conv_layers):
        lengths = (lengths - 1) // 2 + 1
    return lengths


def feature_vector_attention_mask(
    attention_mask: torch.Tensor, frames: int, num_conv_layers: int
) -> torch.Tensor:
    """The `[batch, frames]` mask of the subsampled frames: ones for each row's first
    `lengths_after_subsampling(real frames)` (a 3-d mask is read at its last feature)."""
    if attention_mask.dim() > 2:
        attention_mask = attention_mask[:, :, -1]
    lengths = lengths_after_subsampling(attention_mask.sum(-1), num_conv_layers)
    steps = torch.arange(frames, device=attention_mask.device)
    return (steps[None, :] < lengths[:, None]).to(attention_mask.dtype)


# ----------------------------------------------------------------------------- positions
class Speech2TextSinusoidalPositionalEmbedding(FairseqSinusoidalPositions):
    """Fixed sinusoidal positions, fairseq's table (`FairseqSinusoidalPositions`); padding id
    1 unless given."""

    def __init__(self, num_positions: int, embedding_dim: int, padding_idx: int = 1) -> None:
        super().__init__(num_positions, embedding_dim, padding_idx)


# ----------------------------------------------------------------------------- layers
@trusted_forward
class Speech2TextAttention(Seq2SeqAttention):
    """Self-attention: `q_proj`, `k_proj`, `v_proj`, `out_proj`."""


@trusted_forward
class Speech2TextCrossAttention(Seq2SeqCrossAttention):
    """Decoder-over-encoder attention (the reference's `encoder_attn`)."""


@trusted_forward
class Speech2TextEncoderLayer(Seq2SeqEncoderLayer):
    pre_norm = True
    attention_class = Speech2TextAttention


@trusted_forward
class Speech2TextDecoderLayer(Seq2SeqDecoderLayer):
    pre_norm = True
    attention_class = Speech2TextAttention
    cross_attention_class = Speech2TextCrossAttention


# ----------------------------------------------------------------------------- stacks
@trusted_forward
class Speech2TextEncoder(Seq2SeqEncoder):
    """`conv` -> times sqrt(d_model) -> + positions of the real frames -> pre-norm layers ->
    `layer_norm`. Takes log-mel `input_features` `[batch, frames, features]` and their
    frame mask; its outputs (and attention) are over the subsampled frames."""

    layer_class = Speech2TextEncoderLayer
    positions_class = Speech2TextSinusoidalPositionalEmbedding
    token_embeddings = False
    embedding_norm = False
    final_norm = True

    def __init__(self, config: Speech2TextConfig) -> None:
        super().__init__(config)
        self.conv = Conv1dSubsampler(config)
        self.embed_positions = Speech2TextSinusoidalPositionalEmbedding(
            config.max_source_positions, config.d_model, config.pad_token_id
        )

    def embed(
        self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor | None, past_length: int
    ) -> torch.Tensor:
        """`forward` hands over the subsampled frames already scaled and positioned."""
        return self.dropped(inputs_embeds)

    def forward(
        self,
        input_features: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        features = check_input_features(input_features, self.config)
        frames = self.conv(features) * self.embed_scale
        mask = None
        padding = torch.zeros(frames.shape[:2], dtype=torch.long, device=frames.device)
        if attention_mask is not None:
            mask = feature_vector_attention_mask(
                attention_mask, frames.shape[1], self.config.num_conv_layers
            )
            padding = mask.ne(1).long()
        # the reference numbers the 0/1 padding flags as if they were token ids
        positions = self.embed_positions(self.embed_positions.position_ids(padding))
        return super().forward(
            attention_mask=mask,
            head_mask=head_mask,
            inputs_embeds=frames + positions.to(frames.dtype),
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
        )


def check_input_features(input_features: Any, config: Speech2TextConfig) -> torch.Tensor:
    """`input_features` as a float tensor `[batch, frames, features]`, or a ConfigError."""
    expected = config.input_feat_per_channel * config.input_channels
    if not isinstance(input_features, torch.Tensor) or input_features.dim() != 3:
        shape = getattr(input_features, "shape", None)
        raise ConfigError(
            "Speech2Text takes input_features [batch, frames, features] (log-mel filter banks "
            f"from Speech2TextFeatureExtractor / the processor); got shape {shape}."
        )
    if input_features.shape[-1] != expected:
        raise ConfigError(
            f"input_features have {input_features.shape[-1]} features per frame but the model "
            f"expects {expected} (input_feat_per_channel * input_channels): use the feature "
            "extractor that came with the checkpoint."
        )
    return input_features


class Speech2TextDecoder(Seq2SeqDecoder):
    """The text decoder: scaled token embeddings + fairseq positions (padding-aware, like
    M2M100's), pre-norm layers with cross-attention, `layer_norm` at the end."""

    layer_class = Speech2TextDecoderLayer
    positions_class = Speech2TextSinusoidalPositionalEmbedding
    embedding_norm = False
    final_norm = True

    def __init__(self, config: Speech2TextConfig) -> None:
        super().__init__(config)
        self.embed_positions = Speech2TextSinusoidalPositionalEmbedding(
            config.max_target_positions, config.d_model, config.pad_token_id
        )

    def position_embeddings(
        self, input_ids: torch.Tensor | None, inputs_embeds: torch.Tensor, past_length: int
    ) -> torch.Tensor:
        positions = self.embed_positions
        if input_ids is None:  # no ids to see padding in: consecutive positions
            start = positions.padding_idx + 1 + past_length
            ids = torch.arange(start, start + inputs_embeds.shape[1], device=inputs_embeds.device)
            ids = ids.expand(inputs_embeds.shape[:2])
        else:
            ids = positions.position_ids(input_ids, past_length)
        return positions(ids)


# ----------------------------------------------------------------------------- models
class Speech2TextPreTrainedModel(Seq2SeqPreTrainedModel):
    config_class = Speech2TextConfig
    main_input_name = "input_features"
    embedding_fallbacks: dict[str, tuple[str, ...]] = {}  # no `shared` to fall back on

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        if isinstance(module, nn.Conv1d):
            with torch.no_grad():
                module.weight.normal_(mean=0.0, std=self.config.init_std)
                if module.bias is not None:
                    module.bias.zero_()

    def _get_feat_extract_output_lengths(self, input_lengths: torch.Tensor) -> torch.Tensor:
        """The reference's name for `lengths_after_subsampling` (pipelines use it)."""
        return lengths_after_subsampling(input_lengths, self.config.num_conv_layers)


class Speech2TextModel(Speech2TextPreTrainedModel):
    """The encoder over the speech features and the text decoder (no task head)."""

    def __init__(self, config: Speech2TextConfig) -> None:
        super().__init__(config)
        self.encoder = Speech2TextEncoder(config)
        self.decoder = Speech2TextDecoder(config)
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.decoder.embed_tokens

    def set_input_embeddings(self, value: nn.Module) -> None:
        self.decoder.embed_tokens = value

    def get_encoder(self) -> nn.Module:
        return self.encoder

    def get_decoder(self) -> nn.Module:
        return self.decoder

    def forward(
        self,
        input_features: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        head_mask: torch.Tensor | None = None,
        decoder_head_mask: torch.Tensor | None = None,
        cross_attn_head_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        cache_position: torch.Tensor | None = None,
    ) -> Any:
        """`attention_mask` is the mask of the log-mel frames (`input_features`); the decoder's
        cross-attention reads it subsampled, as the encoder does."""
        if decoder_input_ids is None and decoder_inputs_embeds is None:
            raise ConfigError(
                "Speech2TextModel needs decoder_input_ids (or decoder_inputs_embeds, or labels on "
                "Speech2TextForConditionalGeneration)."
            )
        if encoder_outputs is None:
            encoder_outputs = self.encoder(
                input_features,
                attention_mask,
                head_mask,
                output_attentions,
                output_hidden_states,
                return_dict=True,
            )
        else:
            encoder_outputs = as_encoder_outputs(encoder_outputs)
        encoder_states = encoder_outputs.last_hidden_state
        encoder_mask = None
        if attention_mask is not None:
            encoder_mask = feature_vector_attention_mask(
                attention_mask, encoder_states.shape[1], self.config.num_conv_layers
            )
        decoded = self.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            encoder_hidden_states=encoder_states,
            encoder_attention_mask=encoder_mask,
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
        outputs = seq2seq_model_output(encoder_outputs, decoded)
        return self.model_outputs(outputs, return_dict)


class Speech2TextForConditionalGeneration(
    ConditionalGenerationHead, GenerationMixin, Speech2TextPreTrainedModel
):
    """Speech recognition / translation: decoder states through `lm_head` (tied to the
    decoder's token embeddings); `generate(input_features, attention_mask=...)`."""

    base_model_class = Speech2TextModel
    use_final_logits_bias = False
    tied_weights = {"lm_head.weight": "model.decoder.embed_tokens.weight"}

    def build_head(self, config: Speech2TextConfig) -> None:
        self.lm_head = Linear(config.d_model, config.vocab_size, bias=False)

    def forward(
        self,
        input_features: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        decoder_input_ids: torch.Tensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """The seq2seq LM head's forward (labels -> loss, decoder inputs = labels shifted
        right behind `decoder_start_token_id`) over the speech features."""
        return super().forward(
            input_features,
            attention_mask,
            decoder_input_ids,
            decoder_attention_mask,
            *args,
            **kwargs,
        )

    @torch.no_grad()
    def generate(
        self,
        input_features: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Transcribe: the encoder runs once over `input_features` (with their frame
        `attention_mask`), then the core's decoding loops run over its outputs and the
        subsampled mask. Other arguments are `GenerationMixin.generate`'s."""
        if input_features is None:
            input_features = kwargs.pop("inputs", None)
        encoder_outputs = kwargs.pop("encoder_outputs", None)
        if encoder_outputs is None:
            if input_features is None:
                raise ConfigError(
                    "Speech2TextForConditionalGeneration.generate needs input_features (from the "
                    "processor / feature extractor) or encoder_outputs."
                )
            input_features = torch.as_tensor(input_features, device=self.device)
            if attention_mask is not None:
                attention_mask = torch.as_tensor(attention_mask, device=self.device)
            encoder_outputs = self.get_encoder()(
                input_features,
                attention_mask,
                output_attentions=kwargs.get("output_attentions"),
                output_hidden_states=kwargs.get("output_hidden_states"),
                return_dict=True,
            )
        encoder_outputs = as_encoder_outputs(encoder_outputs)
        frames = encoder_outputs.last_hidden_state.shape[1]
        if attention_mask is not None and attention_mask.shape[1] != frames:  # frame mask
            attention_mask = feature_vector_attention_mask(
                attention_mask, frames, self.config.num_conv_layers
            )
        return super().generate(
            None, attention_mask, *args, encoder_outputs=encoder_outputs, **kwargs
        )

    def _seq2seq_decode_forward(
        self,
        decoder_input_ids: torch.LongTensor,
        *,
        encoder_hidden_states: torch.Tensor,
        encoder_attention_mask: torch.Tensor | None,
        decoder_attention_mask: torch.Tensor | None,
        cache: Any,
    ) -> torch.Tensor:
        """One decoding step; the encoder mask here is already over the subsampled frames."""
        decoded = self.model.decoder(
            input_ids=decoder_input_ids,
            attention_mask=decoder_attention_mask,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
            past_key_values=cache,
            use_cache=True,
            return_dict=True,
        )
        return self.lm_logits(decoded.last_hidden_state[:, -1:])[:, -1, :]
