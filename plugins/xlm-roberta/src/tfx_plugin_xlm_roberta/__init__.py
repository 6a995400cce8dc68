"""tfx-plugin-xlm-roberta: XLM-RoBERTa for tfx (see `modeling_xlm_roberta`)."""

__version__ = "0.1.0"
