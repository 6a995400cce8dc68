"""tfx-plugin-bart: BART (summarization, text2text) on the core seq2seq blocks.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_bart.modeling_bart import BartForConditionalGeneration
"""

__version__ = "0.1.0"
