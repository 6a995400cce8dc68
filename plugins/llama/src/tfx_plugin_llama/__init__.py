"""tfx-plugin-llama: the Llama architecture for tfx.

Importing this package imports no framework: the plugin entry module (`plugin`) only declares
specs, and the configuration and modeling classes are imported on first use, e.g.

    from tfx_plugin_llama.modeling_llama import LlamaForCausalLM
"""

__version__ = "0.1.0"
