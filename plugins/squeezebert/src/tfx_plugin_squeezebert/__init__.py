"""tfx-plugin-squeezebert: SqueezeBERT for tfx: BERT with grouped pointwise convolutions, every head.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_squeezebert.modeling_squeezebert import SqueezeBertModel
"""

__version__ = "0.1.0"
