"""`ViTImageProcessor`: 224x224 bilinear resize, rescale, normalise with mean = std = 0.5."""

from tfx_core.processing import ImageProcessor


class ViTImageProcessor(ImageProcessor):
    """The reference's ViT preprocessing (the core recipe with ViT's defaults)."""
