"""tfx-plugin-rembert: RemBERT for tfx: BERT with decoupled input and output embeddings (SentencePiece), every head.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_rembert.modeling_rembert import RemBertModel
"""

__version__ = "0.1.0"
