"""`DeiTConfig`: the reference's `config.json` fields for DeiT, names and defaults."""

from __future__ import annotations

from typing import ClassVar

from tfx_core.vision_config import PooledVisionTransformerConfig


class DeiTConfig(PooledVisionTransformerConfig):
    """Configuration of a DeiT model (defaults: `facebook/deit-base-distilled-patch16-224`)."""

    model_type: ClassVar[str] = "deit"
