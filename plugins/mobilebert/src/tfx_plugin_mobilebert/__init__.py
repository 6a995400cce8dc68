"""tfx-plugin-mobilebert: MobileBERT (bottlenecked thin BERT) and its heads for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_mobilebert.modeling_mobilebert import MobileBertModel
"""

__version__ = "0.1.0"
