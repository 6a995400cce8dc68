"""tfx-plugin-gpt-neo: EleutherAI's GPT-Neo (global and local attention layers) for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_gpt_neo.modeling_gpt_neo import GPTNeoModel
"""

__version__ = "0.1.0"
