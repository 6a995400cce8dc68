"""tfx-plugin-fnet: FNet for tfx (Fourier token mixing, every task head).

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_fnet.modeling_fnet import FNetModel
"""

__version__ = "0.1.0"
