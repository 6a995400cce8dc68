"""tfx-plugin-beit: BEiT image transformers for tfx."""
