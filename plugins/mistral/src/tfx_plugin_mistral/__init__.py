"""tfx-plugin-mistral: the Mistral architecture for tfx (no framework import here; see `plugin`)."""

__version__ = "0.1.0"
