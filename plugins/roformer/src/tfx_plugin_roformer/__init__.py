"""tfx-plugin-roformer: RoFormer for tfx: the BERT encoder with rotary position embeddings, every task head; loads Hub checkpoints unchanged.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_roformer.modeling_roformer import RoFormerModel
"""

__version__ = "0.1.0"
