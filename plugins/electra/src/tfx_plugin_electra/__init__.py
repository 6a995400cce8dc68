"""tfx-plugin-electra: ELECTRA for tfx (see `modeling_electra`)."""

__version__ = "0.1.0"
