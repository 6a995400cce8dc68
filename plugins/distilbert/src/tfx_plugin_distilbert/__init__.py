"""tfx-plugin-distilbert: DistilBERT for tfx: DistilBertModel and its masked-LM, classification, QA and multiple-choice heads; loads Hub checkpoints unchanged.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_distilbert.modeling_distilbert import DistilBertModel
"""

__version__ = "0.1.0"
