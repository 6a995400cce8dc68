"""tfx-plugin-gpt2: the GPT-2 architecture for tfx.

Importing this package imports no framework: the plugin entry module (`plugin`) only declares
specs, and the configuration and modeling classes are imported on first use, e.g.

    from tfx_plugin_gpt2.modeling_gpt2 import GPT2LMHeadModel
"""

__version__ = "0.1.0"
