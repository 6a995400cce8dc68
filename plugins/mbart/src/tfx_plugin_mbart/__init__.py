"""tfx-plugin-mbart: mBART and mBART-50 for tfx (see `tokenization_mbart`)."""

__version__ = "0.1.0"
