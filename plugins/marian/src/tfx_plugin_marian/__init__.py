"""tfx-plugin-marian: MarianMT for tfx (see `modeling_marian`, `tokenization_marian`)."""

__version__ = "0.1.0"
