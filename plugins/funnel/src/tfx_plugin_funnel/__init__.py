"""tfx-plugin-funnel: Funnel Transformer for tfx: FunnelModel (with the upsampling decoder), FunnelBaseModel and every task head; loads Hub checkpoints unchanged.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_funnel.modeling_funnel import FunnelModel
"""

__version__ = "0.1.0"
