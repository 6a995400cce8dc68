"""CLIP in PyTorch: a causal text transformer and a ViT-style vision transformer, projected into
one space where `logits_per_image` compares images with texts.

Both towers' layers are the core's `PreNormEncoderLayer` under CLIP's names (`self_attn.q_proj`,
`layer_norm1`, `mlp.fc1`, ...). CLIP's own parts are here: the embeddings, the text pooling at
the end-of-text token, the vision tower's extra LayerNorms, the projections and logit scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import BaseModelOutputWithPooling, ModelOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.patches import interpolate_positions
from tfx_core.modeling.torch.blocks.pre_norm_encoder import (
    CLIP_NAMES,
    PreNormEncoderLayer,
    run_layers,
)
from tfx_core.modeling.torch.blocks.vision_heads import ImageClassifierOutput
from tfx_core.modeling.torch.masks import attention_bias
from tfx_plugin_clip.configuration_clip import CLIPConfig, CLIPTextConfig, CLIPVisionConfig


@dataclass(repr=False, eq=False)
class CLIPOutput(ModelOutput):
    loss: torch.Tensor | None = None
    logits_per_image: torch.Tensor | None = None
    logits_per_text: torch.Tensor | None = None
    text_embeds: torch.Tensor | None = None
    image_embeds: torch.Tensor | None = None
    text_model_output: Any = None
    vision_model_output: Any = None


@dataclass(repr=False, eq=False)
class CLIPTextModelOutput(ModelOutput):
    text_embeds: torch.Tensor | None = None
    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass(repr=False, eq=False)
class CLIPVisionModelOutput(ModelOutput):
    image_embeds: torch.Tensor | None = None
    last_hidden_state: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


class CLIPEncoderLayer(PreNormEncoderLayer):
    names = CLIP_NAMES


class CLIPEncoder(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            CLIPEncoderLayer(config) for _ in range(config.num_hidden_layers)
        )


class CLIPTextEmbeddings(nn.Module):
    def __init__(self, config: CLIPTextConfig) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.register_buffer(
            "position_ids",
            torch.arange(config.max_position_embeddings).expand((1, -1)),
            persistent=False,
        )

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> torch.Tensor:
        length = (input_ids if input_ids is not None else inputs_embeds).shape[1]
        limit = self.position_embedding.num_embeddings
        if length > limit:
            raise ConfigError(
                f"The text is {length} tokens long but CLIP reads at most {limit}: truncate it "
                f"(tokenizer(..., truncation=True, max_length={limit}))."
            )
        if position_ids is None:
            position_ids = self.position_ids[:, :length]
        if inputs_embeds is None:
            inputs_embeds = self.token_embedding(input_ids)
        return inputs_embeds + self.position_embedding(position_ids)


class CLIPVisionEmbeddings(nn.Module):
    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__()
        self.image_size = config.image_size
        self.patch_size = config.patch_size
        self.class_embedding = nn.Parameter(torch.randn(config.hidden_size))
        self.patch_embedding = nn.Conv2d(
            config.num_channels,
            config.hidden_size,
            kernel_size=config.patch_size,
            stride=config.patch_size,
            bias=False,
        )
        positions = (config.image_size // config.patch_size) ** 2 + 1
        self.position_embedding = nn.Embedding(positions, config.hidden_size)
        self.register_buffer(
            "position_ids", torch.arange(positions).expand((1, -1)), persistent=False
        )

    def forward(
        self, pixel_values: torch.Tensor, interpolate_pos_encoding: bool = False
    ) -> torch.Tensor:
        if pixel_values.dim() != 4:
            raise ConfigError(
                f"pixel_values must be [batch, channels, height, width], got "
                f"{tuple(pixel_values.shape)}. Prepare images with the model's image processor."
            )
        batch, _, height, width = pixel_values.shape
        if not interpolate_pos_encoding and (height, width) != (self.image_size,) * 2:
            raise ConfigError(
                f"Input image size ({height}x{width}) does not match the model's "
                f"({self.image_size}x{self.image_size}): resize the images (the image processor "
                "does) or pass interpolate_pos_encoding=True."
            )
        weight = self.patch_embedding.weight
        patches = self.patch_embedding(pixel_values.to(weight.dtype)).flatten(2).transpose(1, 2)
        embeddings = torch.cat([self.class_embedding.expand(batch, 1, -1), patches], dim=1)
        if interpolate_pos_encoding:
            table = self.position_embedding.weight.unsqueeze(0)
            return embeddings + interpolate_positions(table, 1, height, width, self.patch_size)
        return embeddings + self.position_embedding(self.position_ids)


def _flags(config: Any, output_attentions: Any, output_hidden_states: Any) -> tuple[bool, bool]:
    return (
        config.output_attentions if output_attentions is None else bool(output_attentions),
        config.output_hidden_states if output_hidden_states is None else bool(output_hidden_states),
    )


class CLIPTextTransformer(nn.Module):
    """Embeddings, causal encoder, final LayerNorm; pooled at each text's end-of-text token."""

    def __init__(self, config: CLIPTextConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = CLIPTextEmbeddings(config)
        self.encoder = CLIPEncoder(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.eos_token_id = config.eos_token_id

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
    ) -> BaseModelOutputWithPooling:
        if input_ids is None:
            raise ValueError("The CLIP text model needs input_ids (use the tokenizer).")
        output_attentions, output_hidden_states = _flags(
            self.config, output_attentions, output_hidden_states
        )
        hidden = self.embeddings(input_ids=input_ids, position_ids=position_ids)
        bias, is_causal = attention_bias(
            attention_mask,
            query_length=input_ids.shape[1],
            dtype=hidden.dtype,
            device=hidden.device,
            causal=True,
        )
        hidden, all_hidden, attentions = run_layers(
            self.encoder.layers,
            hidden,
            attention_bias=bias,
            is_causal=is_causal,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
        )
        hidden = self.final_layer_norm(hidden)
        ids = input_ids.to(device=hidden.device, dtype=torch.int)
        if self.eos_token_id == 2:  # old checkpoints: the end token has the largest id
            ends = ids.argmax(dim=-1)
        else:
            ends = (ids == self.eos_token_id).int().argmax(dim=-1)
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), ends]
        return BaseModelOutputWithPooling(
            last_hidden_state=hidden,
            pooler_output=pooled,
            hidden_states=all_hidden,
            attentions=attentions,
        )


class CLIPVisionTransformer(nn.Module):
    """Embeddings, `pre_layrnorm` (the checkpoint's spelling), encoder; pooled = the class token
    through `post_layernorm`."""

    def __init__(self, config: CLIPVisionConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = CLIPVisionEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.encoder = CLIPEncoder(config)
        self.post_layernorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        last_layer_rows: int | None = None,
    ) -> BaseModelOutputWithPooling:
        """`last_layer_rows`: see `run_layers` (then `last_hidden_state` holds those rows)."""
        if pixel_values is None:
            raise ValueError("The CLIP vision model needs pixel_values (use the image processor).")
        output_attentions, output_hidden_states = _flags(
            self.config, output_attentions, output_hidden_states
        )
        hidden = self.pre_layrnorm(self.embeddings(pixel_values, bool(interpolate_pos_encoding)))
        hidden, all_hidden, attentions = run_layers(
            self.encoder.layers,
            hidden,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            last_layer_rows=last_layer_rows,
        )
        return BaseModelOutputWithPooling(
            last_hidden_state=hidden,
            pooler_output=self.post_layernorm(hidden[:, 0]),
            hidden_states=all_hidden,
            attentions=attentions,
        )


class CLIPPreTrainedModel(PreTrainedModel):
    config_class = CLIPConfig
    base_model_prefix = "clip"
    ignore_unexpected_keys: ClassVar[list[str]] = [r"position_ids$"]

    def _init_weights(self, module: nn.Module) -> None:
        super()._init_weights(module)
        factor = getattr(self.config, "initializer_factor", 1.0)
        with torch.no_grad():
            if isinstance(module, CLIPVisionEmbeddings):
                width = module.class_embedding.shape[0]
                nn.init.normal_(module.class_embedding, mean=0.0, std=width**-0.5 * factor)
                nn.init.normal_(module.patch_embedding.weight, std=0.02 * factor)
            elif isinstance(module, CLIPModel):
                module.logit_scale.fill_(self.config.logit_scale_init_value)


def _text_config(config: Any) -> CLIPTextConfig:
    return config.text_config if isinstance(config, CLIPConfig) else config


def _vision_config(config: Any) -> CLIPVisionConfig:
    return config.vision_config if isinstance(config, CLIPConfig) else config


class CLIPTextModel(CLIPPreTrainedModel):
    """The text tower alone (`text_model.*` weights)."""

    config_class = CLIPTextConfig

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.text_model = CLIPTextTransformer(_text_config(config))
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.text_model.embeddings.token_embedding

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.text_model(
            input_ids, attention_mask, position_ids, output_attentions, output_hidden_states
        )
        return self.model_outputs(outputs, return_dict)


class CLIPVisionModel(CLIPPreTrainedModel):
    """The vision tower alone (`vision_model.*` weights)."""

    config_class = CLIPVisionConfig
    main_input_name: ClassVar[str] = "pixel_values"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.vision_model = CLIPVisionTransformer(_vision_config(config))
        self.post_init()

    def get_input_embeddings(self) -> nn.Module:
        return self.vision_model.embeddings.patch_embedding

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.vision_model(
            pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding
        )
        return self.model_outputs(outputs, return_dict)


class CLIPTextModelWithProjection(CLIPPreTrainedModel):
    """The text tower and `text_projection`: `text_embeds` as CLIPModel computes them."""

    config_class = CLIPTextConfig

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        text = _text_config(config)
        self.text_model = CLIPTextTransformer(text)
        self.text_projection = nn.Linear(text.hidden_size, text.projection_dim, bias=False)
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.text_model(
            input_ids, attention_mask, position_ids, output_attentions, output_hidden_states
        )
        return self.model_outputs(
            CLIPTextModelOutput(
                text_embeds=self.text_projection(outputs.pooler_output),
                last_hidden_state=outputs.last_hidden_state,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


class CLIPVisionModelWithProjection(CLIPPreTrainedModel):
    """The vision tower and `visual_projection`: `image_embeds` as CLIPModel computes them."""

    config_class = CLIPVisionConfig
    main_input_name: ClassVar[str] = "pixel_values"

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        vision = _vision_config(config)
        self.vision_model = CLIPVisionTransformer(vision)
        self.visual_projection = nn.Linear(vision.hidden_size, vision.projection_dim, bias=False)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        outputs = self.vision_model(
            pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding
        )
        return self.model_outputs(
            CLIPVisionModelOutput(
                image_embeds=self.visual_projection(outputs.pooler_output),
                last_hidden_state=outputs.last_hidden_state,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


def _unit(vectors: torch.Tensor) -> torch.Tensor:
    return vectors / torch.pow(torch.sum(torch.pow(vectors, 2), dim=-1, keepdim=True), 0.5)


def clip_loss(logits_per_text: torch.Tensor) -> torch.Tensor:
    """Symmetric cross-entropy: each text matches the image at its own index, and vice versa."""
    targets = torch.arange(len(logits_per_text), device=logits_per_text.device)
    caption = nn.functional.cross_entropy(logits_per_text, targets)
    image = nn.functional.cross_entropy(logits_per_text.t(), targets)
    return (caption + image) / 2.0


class CLIPModel(CLIPPreTrainedModel):
    """Both towers, their projections and the learned logit scale."""

    def __init__(self, config: CLIPConfig) -> None:
        super().__init__(config)
        text, vision = config.text_config, config.vision_config
        self.projection_dim = config.projection_dim
        self.text_model = CLIPTextTransformer(text)
        self.vision_model = CLIPVisionTransformer(vision)
        self.visual_projection = nn.Linear(vision.hidden_size, config.projection_dim, bias=False)
        self.text_projection = nn.Linear(text.hidden_size, config.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(config.logit_scale_init_value))
        self.post_init()

    def get_text_features(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Projected (not normalised) text embeddings `[batch, projection_dim]`."""
        pooled = self.text_model(input_ids, attention_mask, position_ids).pooler_output
        return self.text_projection(pooled)

    def get_image_features(
        self, pixel_values: torch.Tensor | None = None, interpolate_pos_encoding: bool = False
    ) -> torch.Tensor:
        """Projected (not normalised) image embeddings `[batch, projection_dim]`."""
        pooled = self.vision_model(  # the pooled class token: the last layer computes no other
            pixel_values, interpolate_pos_encoding=interpolate_pos_encoding, last_layer_rows=1
        ).pooler_output
        return self.visual_projection(pooled)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        pixel_values: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        return_loss: bool | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        interpolate_pos_encoding: bool = False,
        return_dict: bool | None = None,
    ) -> Any:
        vision = self.vision_model(
            pixel_values, output_attentions, output_hidden_states, interpolate_pos_encoding
        )
        text = self.text_model(
            input_ids, attention_mask, position_ids, output_attentions, output_hidden_states
        )
        image_embeds = _unit(self.visual_projection(vision.pooler_output))
        text_embeds = _unit(self.text_projection(text.pooler_output))
        logits_per_text = torch.matmul(text_embeds, image_embeds.t()) * self.logit_scale.exp()
        logits_per_image = logits_per_text.t()
        return self.model_outputs(
            CLIPOutput(
                loss=clip_loss(logits_per_text) if return_loss else None,
                logits_per_image=logits_per_image,
                logits_per_text=logits_per_text,
                text_embeds=text_embeds,
                image_embeds=image_embeds,
                text_model_output=text,
                vision_model_output=vision,
            ),
            return_dict,
        )


class CLIPForImageClassification(CLIPPreTrainedModel):
    """A linear classifier on the mean of the vision tower's patch states."""

    main_input_name: ClassVar[str] = "pixel_values"

    def __init__(self, config: CLIPConfig) -> None:
        super().__init__(config)
        self.num_labels = config.num_labels
        self.vision_model = CLIPVisionTransformer(config.vision_config)
        self.classifier = nn.Linear(config.vision_config.hidden_size, config.num_labels)
        self.post_init()

    def forward(
        self,
        pixel_values: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        from tfx_core.modeling.torch.losses import sequence_classification_loss

        outputs = self.vision_model(pixel_values, output_attentions, output_hidden_states)
        logits = self.classifier(outputs.last_hidden_state[:, 1:].mean(dim=1))
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config)
        return self.model_outputs(
            ImageClassifierOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )
