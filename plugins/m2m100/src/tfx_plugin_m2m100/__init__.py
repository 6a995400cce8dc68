"""tfx-plugin-m2m100: M2M100 for tfx (see `modeling_m2m100`, `tokenization_m2m100`)."""

__version__ = "0.1.0"
