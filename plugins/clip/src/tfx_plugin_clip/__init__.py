"""tfx-plugin-clip: CLIP text-image models for tfx."""
