"""tfx-plugin-albert: ALBERT for tfx (factorized embeddings, shared layers, every task head).

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_albert.modeling_albert import AlbertModel
"""

__version__ = "0.1.0"
