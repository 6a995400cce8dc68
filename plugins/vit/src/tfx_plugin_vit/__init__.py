"""tfx-plugin-vit: the Vision Transformer (ViT) for tfx."""
