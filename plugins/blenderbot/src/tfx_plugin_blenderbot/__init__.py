"""tfx-plugin-blenderbot: Blenderbot for tfx (see `modeling_blenderbot`)."""

__version__ = "0.1.0"
