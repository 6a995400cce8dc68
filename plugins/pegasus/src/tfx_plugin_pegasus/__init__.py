"""tfx-plugin-pegasus: Pegasus for tfx (see `modeling_pegasus`)."""

__version__ = "0.1.0"
