"""tfx-plugin-roberta: RoBERTa for tfx: RobertaModel and its masked-LM, causal-LM, classification, QA and multiple-choice heads; loads Hub checkpoints unchanged.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_roberta.modeling_roberta import RobertaModel
"""

__version__ = "0.1.0"
