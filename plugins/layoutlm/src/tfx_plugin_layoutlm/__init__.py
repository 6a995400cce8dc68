"""tfx-plugin-layoutlm: LayoutLM for tfx: text + 2-D layout (bbox) encoder with masked-LM, classification, token-classification and QA heads.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_layoutlm.modeling_layoutlm import LayoutLMModel
"""

__version__ = "0.1.0"
