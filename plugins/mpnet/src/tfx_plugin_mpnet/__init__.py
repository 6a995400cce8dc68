"""tfx-plugin-mpnet: MPNet for tfx (relative-position bias, every task head).

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_mpnet.modeling_mpnet import MPNetModel
"""

__version__ = "0.1.0"
