"""tfx-plugin-t5: T5 (v1.0 and v1.1), mT5 and ByT5 for tfx.

Importing this package imports no framework: the plugin entry module (`plugin`) only declares
specs, and the configuration and modeling classes are imported on first use, e.g.

    from tfx_plugin_t5.modeling_t5 import T5ForConditionalGeneration
"""

__version__ = "0.1.0"
