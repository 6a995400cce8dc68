"""tfx-plugin-camembert: CamemBERT for tfx (see `modeling_camembert`)."""

__version__ = "0.1.0"
