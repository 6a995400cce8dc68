"""`VisionEncoderDecoderModel`: an image encoder (ViT, DeiT, ...) and a text decoder with
cross-attention (GPT-2, BERT, ...) as one image-to-text model, in the reference's layout.

It is `EncoderDecoderModel` with pixels in: the encoder is the base model of `config.encoder`
and reads `pixel_values`; the decoder reads the encoder's states (projected by `enc_to_dec_proj`
when the widths differ) with no encoder mask. `generate(pixel_values, ...)` encodes the images
once and decodes with the core's encoder-decoder generation.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError, GenerationError
from tfx_core.modeling.torch.encoder_decoder import EncoderDecoderModel
from tfx_core.modeling.torch.losses import causal_lm_loss
from tfx_core.vision_encoder_decoder_config import VisionEncoderDecoderConfig


class VisionEncoderDecoderModel(EncoderDecoderModel):
    """An image encoder and a text decoder trained or used as one captioning model."""

    config_class: ClassVar[type[VisionEncoderDecoderConfig]] = VisionEncoderDecoderConfig
    base_model_prefix: ClassVar[str] = "vision_encoder_decoder"
    main_input_name: ClassVar[str] = "pixel_values"

    def __init__(
        self,
        config: VisionEncoderDecoderConfig | None = None,
        encoder: nn.Module | None = None,
        decoder: nn.Module | None = None,
    ) -> None:
        if config is None and encoder is not None and decoder is not None:
            config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(
                encoder.config, decoder.config
            )
        if config is not None and not isinstance(config, VisionEncoderDecoderConfig):
            raise ConfigError(
                "VisionEncoderDecoderModel expects a VisionEncoderDecoderConfig, got "
                f"{type(config).__name__}."
            )
        if config is not None:
            cross = getattr(config.decoder, "cross_attention_hidden_size", None)
            width = getattr(config.encoder, "hidden_size", None)
            if cross is not None and cross != width:
                raise ConfigError(
                    f"The decoder's cross_attention_hidden_size ({cross}) must equal the "
                    f"encoder's hidden_size ({width}), or be unset (then a projection is added)."
                )
            config.tie_word_embeddings = False
        super().__init__(config, encoder, decoder)

    def get_input_embeddings(self) -> nn.Module:
        """The decoder's token embeddings (the encoder reads pixels)."""
        return self.decoder.get_input_embeddings()

    # ---------------------------------------------------------------- forward
    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        decoder_input_ids: torch.LongTensor | None = None,
        decoder_attention_mask: torch.Tensor | None = None,
        encoder_outputs: Any = None,
        past_key_values: Any = None,
        decoder_inputs_embeds: torch.Tensor | None = None,
        labels: torch.LongTensor | None = None,
        use_cache: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Logits of the decoder over the image's states (the reference's inputs and output).

        Other keyword arguments go to the encoder, or to the decoder when prefixed `decoder_`
        (`attention_mask`, which the generation loop passes for the encoder, is unused: every
        image position is attended). With `labels` and no decoder inputs, the decoder reads the
        labels shifted right; the loss is the reference's: logits at position t score label t+1.
        """
        for unused in ("cache_position", "attention_mask", "num_items_in_batch"):
            kwargs.pop(unused, None)
        if encoder_outputs is None and pixel_values is None:
            raise ConfigError(
                "VisionEncoderDecoderModel needs pixel_values (use the image processor) or "
                "encoder_outputs."
            )
        return self._encode_decode(
            {"pixel_values": pixel_values},
            encoder_attention_mask=None,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
            encoder_outputs=encoder_outputs,
            past_key_values=past_key_values,
            decoder_inputs_embeds=decoder_inputs_embeds,
            labels=labels,
            use_cache=use_cache,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=return_dict,
            **kwargs,
        )

    #: The reference leaves the decoder's mask unset when it shifts the labels.
    _mask_shifted_labels: ClassVar[bool] = False

    def _lm_loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Cross-entropy of logits at t against labels at t + 1 (-100 labels ignored)."""
        return causal_lm_loss(logits, labels.to(logits.device))

    # ------------------------------------------------------------- generation
    @torch.no_grad()
    def generate(
        self,
        pixel_values: torch.Tensor | None = None,
        *args: Any,
        encoder_outputs: Any = None,
        inputs: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> Any:
        """Caption images: `generate(pixel_values, max_new_tokens=..., num_beams=...)`.

        The encoder runs once on `pixel_values` (or `encoder_outputs` are given); other
        arguments are `generate`'s (`GenerationConfig` fields, `generation_config=`, ...).
        """
        if args:
            raise GenerationError(
                "VisionEncoderDecoderModel.generate takes pixel_values as its only positional "
                "argument; pass the rest by name (max_new_tokens=..., generation_config=...)."
            )
        pixel_values = inputs if pixel_values is None else pixel_values
        for name in ("input_ids", "attention_mask"):
            if kwargs.get(name) is not None:
                raise GenerationError(
                    f"VisionEncoderDecoderModel.generate reads images: pass pixel_values, not "
                    f"{name} (a text prompt for the decoder goes in decoder_input_ids)."
                )
            kwargs.pop(name, None)
        if encoder_outputs is None:
            if not isinstance(pixel_values, torch.Tensor) or pixel_values.dim() != 4:
                raise GenerationError(
                    "generate() needs pixel_values as a [batch, channels, height, width] tensor "
                    "(from the model's image processor) or encoder_outputs."
                )
            config = kwargs.get("generation_config")
            encoder_outputs = self.encoder(
                pixel_values=pixel_values.to(device=self.device, dtype=self.dtype),
                output_attentions=bool(
                    kwargs.get("output_attentions", getattr(config, "output_attentions", False))
                ),
                output_hidden_states=bool(
                    kwargs.get(
                        "output_hidden_states", getattr(config, "output_hidden_states", False)
                    )
                ),
                return_dict=True,
            )
        return super().generate(encoder_outputs=encoder_outputs, **kwargs)


__all__ = ["VisionEncoderDecoderModel"]
