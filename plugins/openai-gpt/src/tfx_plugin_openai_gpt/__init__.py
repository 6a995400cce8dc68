"""tfx-plugin-openai-gpt: OpenAI GPT (post-norm decoder, lower-cased BPE) for tfx.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_openai_gpt.modeling_openai_gpt import OpenAIGPTModel
"""

__version__ = "0.1.0"
