"""tfx-plugin-qwen2: the Qwen2 architecture for tfx (no framework import here; see `plugin`)."""

__version__ = "0.1.0"
