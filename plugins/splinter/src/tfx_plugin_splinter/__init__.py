"""tfx-plugin-splinter: Splinter for tfx: few-shot extractive QA with the question-aware span selection head, and its tokenizer.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_splinter.modeling_splinter import SplinterModel
"""

__version__ = "0.1.0"
