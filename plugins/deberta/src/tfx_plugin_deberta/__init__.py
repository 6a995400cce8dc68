"""tfx-plugin-deberta: DeBERTa for tfx (disentangled attention, every task head).

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_deberta.modeling_deberta import DebertaModel
"""

__version__ = "0.1.0"
