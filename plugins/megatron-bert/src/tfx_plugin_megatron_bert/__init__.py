"""tfx-plugin-megatron-bert: Megatron-BERT for tfx: the pre-norm BERT encoder and every BERT head; loads Hub checkpoints unchanged.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_megatron_bert.modeling_megatron_bert import MegatronBertModel
"""

__version__ = "0.1.0"
