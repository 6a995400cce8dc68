"""tfx-plugin-blenderbot-small: Blenderbot-Small for tfx (see `modeling_blenderbot_small`)."""

__version__ = "0.1.0"
