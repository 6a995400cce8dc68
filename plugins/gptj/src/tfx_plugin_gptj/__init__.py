"""tfx-plugin-gptj: EleutherAI's GPT-J (partial interleaved rotary, parallel residual) for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_gptj.modeling_gptj import GPTJModel
"""

__version__ = "0.1.0"
