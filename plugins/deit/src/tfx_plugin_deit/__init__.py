"""tfx-plugin-deit: data-efficient image transformers (DeiT) for tfx."""
