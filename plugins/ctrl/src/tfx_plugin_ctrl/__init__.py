"""tfx-plugin-ctrl: Salesforce CTRL (control codes, sinusoidal positions) for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_ctrl.modeling_ctrl import CTRLModel
"""

__version__ = "0.1.0"
