"""tfx-plugin-deberta-v2: DeBERTa-v2 and v3 for tfx (disentangled attention, every task head).

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_deberta_v2.modeling_deberta_v2 import DebertaV2Model
"""

__version__ = "0.1.0"
