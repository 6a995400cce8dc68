"""tfx-plugin-convbert: ConvBERT for tfx: BERT with span-based dynamic convolution heads mixed into self-attention, every head.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_convbert.modeling_convbert import ConvBertModel
"""

__version__ = "0.1.0"
