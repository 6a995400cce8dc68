"""`ViTConfig`: the reference's `config.json` fields for ViT, names and defaults."""

from __future__ import annotations

from typing import ClassVar

from tfx_core.vision_config import PooledVisionTransformerConfig


class ViTConfig(PooledVisionTransformerConfig):
    """Configuration of a ViT model (defaults: `google/vit-base-patch16-224`)."""

    model_type: ClassVar[str] = "vit"
