"""tfx-plugin-dpr: DPR for tfx: dense passage retrieval context and question encoders and the extractive reader, with their tokenizers.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_dpr.modeling_dpr import DPRModel
"""

__version__ = "0.1.0"
