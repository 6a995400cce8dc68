"""ViLT in PyTorch: one pre-norm transformer over a question's tokens and an image's patches.

Text tokens get BERT's embeddings, patches ViT's (a class token and a learned position table,
resized bilinearly to each image's valid patch grid); both get a modality embedding, and the
pooled first token feeds the heads. The reference shuffles the patches at random (sampling
without replacement); attention does not depend on their order, so tfx keeps them in raster
order, valid ones first: the pooled output and the text states are the same.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from tfx_core.errors import ConfigError
from tfx_core.modeling.outputs import SequenceClassifierOutput
from tfx_core.modeling.torch import PreTrainedModel
from tfx_core.modeling.torch.blocks.encoder_model import Pooler
from tfx_core.modeling.torch.blocks.pre_norm_encoder import VIT_NAMES, PreNormEncoderLayer
from tfx_core.modeling.torch.blocks.vision_transformer import VisionEncoder, VisionTransformerModel
from tfx_plugin_vilt.configuration_vilt import ViltConfig


class TextEmbeddings(nn.Module):
    """BERT's: word + absolute position + token type, LayerNorm, dropout."""

    def __init__(self, config: ViltConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.word_embeddings = nn.Embedding(
            config.vocab_size, hidden, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, hidden)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        if length > self.position_embeddings.num_embeddings:
            raise ConfigError(
                f"The question is {length} tokens but ViLT reads at most "
                f"{self.position_embeddings.num_embeddings}: truncate it."
            )
        positions = torch.arange(length, device=input_ids.device)[None]
        embeddings = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(positions)
        )
        return self.dropout(self.LayerNorm(embeddings))


class ViltPatchEmbeddings(nn.Module):
    def __init__(self, config: ViltConfig) -> None:
        super().__init__()
        patch = config.patch_size
        self.num_channels = config.num_channels
        self.num_patches = (config.image_size // patch) ** 2
        self.projection = nn.Conv2d(
            config.num_channels, config.hidden_size, kernel_size=patch, stride=patch
        )

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        if pixel_values.dim() != 4 or pixel_values.shape[1] != self.num_channels:
            raise ConfigError(
                f"pixel_values must be [batch, {self.num_channels}, height, width], got "
                f"{tuple(pixel_values.shape)}. Prepare images with the model's image processor."
            )
        weight = self.projection.weight
        return self.projection(pixel_values.to(weight.dtype))


class ViltEmbeddings(nn.Module):
    """Text and image tokens, each with its modality embedding; the joint attention mask."""

    def __init__(self, config: ViltConfig) -> None:
        super().__init__()
        hidden = config.hidden_size
        self.text_embeddings = TextEmbeddings(config)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, hidden))
        self.patch_embeddings = ViltPatchEmbeddings(config)
        self.position_embeddings = nn.Parameter(
            torch.zeros(1, self.patch_embeddings.num_patches + 1, hidden)
        )
        self.token_type_embeddings = nn.Embedding(config.modality_type_vocab_size, hidden)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)
        self.grid = config.image_size // config.patch_size

    def visual_embed(
        self, pixel_values: torch.Tensor, pixel_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Patch tokens (class token first) with positions, and their mask; each image's
        positions are the table resized to its valid (unpadded) patch grid."""
        maps = self.patch_embeddings(pixel_values)
        batch, channels, height, width = maps.shape
        mask = nn.functional.interpolate(pixel_mask[:, None].float(), size=(height, width)).long()
        valid_heights, valid_widths = mask[:, 0].sum(dim=1)[:, 0], mask[:, 0].sum(dim=2)[:, 0]
        table = (
            self.position_embeddings[:, 1:]
            .transpose(1, 2)
            .reshape(1, channels, self.grid, self.grid)
        )
        positions = torch.cat(
            [
                nn.functional.pad(
                    nn.functional.interpolate(
                        table, size=(int(h), int(w)), mode="bilinear", align_corners=True
                    ),
                    (0, width - int(w), 0, height - int(h)),
                )
                for h, w in zip(valid_heights, valid_widths)
            ]
        )
        tokens = maps.flatten(2).transpose(1, 2) + positions.flatten(2).transpose(1, 2)
        mask = mask.flatten(1)
        kept = int((valid_heights * valid_widths).max())
        order = torch.argsort(1 - mask, dim=1, stable=True)[:, :kept]  # valid patches first
        tokens = tokens.gather(1, order[..., None].expand(-1, -1, channels))
        mask = mask.gather(1, order)
        first = self.cls_token + self.position_embeddings[:, :1]
        tokens = torch.cat((first.expand(batch, -1, -1), tokens), dim=1)
        mask = torch.cat((torch.ones_like(mask[:, :1]), mask), dim=1)
        return self.dropout(tokens), mask

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        pixel_values: torch.Tensor,
        pixel_mask: torch.Tensor,
        image_token_type_idx: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        text = self.text_embeddings(input_ids, token_type_ids)
        image, image_mask = self.visual_embed(pixel_values, pixel_mask)
        text = text + self.token_type_embeddings(torch.zeros_like(attention_mask))
        image = image + self.token_type_embeddings(
            torch.full_like(image_mask, image_token_type_idx)
        )
        return torch.cat((text, image), dim=1), torch.cat((attention_mask, image_mask), dim=1)


class ViltLayer(PreNormEncoderLayer):
    names = VIT_NAMES


class ViltEncoder(VisionEncoder):
    layer_class = ViltLayer


class ViltPooler(Pooler):
    """tanh(dense(first token))."""


class ViltPreTrainedModel(PreTrainedModel):
    config_class = ViltConfig
    base_model_prefix = "vilt"
    main_input_name: ClassVar[str] = "input_ids"


def _refuse(**values: Any) -> None:
    for name, value in values.items():
        if value is not None:
            raise ConfigError(
                f"{name} is not supported by tfx's ViLT: pass input_ids and pixel_values."
            )


class ViltModel(VisionTransformerModel, ViltPreTrainedModel):
    """Embeddings, encoder, final LayerNorm and (optionally) the pooler."""

    family = "ViLT"
    embeddings_class = ViltEmbeddings
    encoder_class = ViltEncoder
    pooler_class = ViltPooler

    def get_input_embeddings(self) -> nn.Module:
        return self.embeddings.text_embeddings.word_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        pixel_values: torch.Tensor | None = None,
        pixel_mask: torch.Tensor | None = None,
        head_mask: Any = None,
        inputs_embeds: Any = None,
        image_embeds: Any = None,
        image_token_type_idx: int | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> Any:
        _refuse(head_mask=head_mask, inputs_embeds=inputs_embeds, image_embeds=image_embeds)
        if input_ids is None or pixel_values is None:
            raise ConfigError("ViltModel needs input_ids (the question) and pixel_values.")
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        if pixel_mask is None:
            pixel_mask = torch.ones_like(pixel_values[:, 0], dtype=torch.long)
        hidden, mask = self.embeddings(
            input_ids,
            attention_mask.long(),
            token_type_ids,
            pixel_values,
            pixel_mask,
            image_token_type_idx if image_token_type_idx is not None else 1,
        )
        bias = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        return self.encode(
            hidden, output_attentions, output_hidden_states, return_dict, attention_bias=bias
        )


class ViltForQuestionAnswering(ViltPreTrainedModel):
    """An MLP on the pooled output scoring every answer of the vocabulary (multi-label)."""

    def __init__(self, config: ViltConfig) -> None:
        super().__init__(config)
        self.vilt = ViltModel(config)
        hidden = config.hidden_size
        self.classifier = nn.Sequential(
            nn.Linear(hidden, hidden * 2),
            nn.LayerNorm(hidden * 2),
            nn.GELU(),
            nn.Linear(hidden * 2, config.num_labels),
        )
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        pixel_values: torch.Tensor | None = None,
        pixel_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_attentions: bool | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
        **refused: Any,
    ) -> Any:
        """With `labels` (`[batch, num_labels]` soft scores), binary cross-entropy times the
        number of answers, as the reference trains it."""
        outputs = self.vilt(
            input_ids,
            attention_mask=attention_mask,
            token_type_ids=token_type_ids,
            pixel_values=pixel_values,
            pixel_mask=pixel_mask,
            output_attentions=output_attentions,
            output_hidden_states=output_hidden_states,
            return_dict=True,
            **refused,
        )
        logits = self.classifier(outputs.pooler_output)
        loss = None
        if labels is not None:
            labels = labels.to(logits.device, logits.dtype)
            loss = nn.functional.binary_cross_entropy_with_logits(logits, labels) * labels.shape[1]
        return self.model_outputs(
            SequenceClassifierOutput(
                loss=loss,
                logits=logits,
                hidden_states=outputs.get("hidden_states"),
                attentions=outputs.get("attentions"),
            ),
            return_dict,
        )


__all__ = ["ViltForQuestionAnswering", "ViltModel", "ViltPreTrainedModel"]
