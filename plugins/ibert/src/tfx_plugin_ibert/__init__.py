"""tfx-plugin-ibert: I-BERT (RoBERTa weights with integer-inference state, run in float) for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_ibert.modeling_ibert import IBertModel
"""

__version__ = "0.1.0"
