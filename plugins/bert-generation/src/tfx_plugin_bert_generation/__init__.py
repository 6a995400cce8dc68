"""tfx-plugin-bert-generation: BertGeneration for tfx (BERT layers as encoder or as a causal
decoder with cross-attention, for `EncoderDecoderModel`), and its SentencePiece tokenizer.

Importing this package imports no framework: `plugin` only declares specs, and the configuration
and modeling classes are imported on first use, e.g.

    from tfx_plugin_bert_generation.modeling_bert_generation import BertGenerationDecoder
"""

__version__ = "0.1.0"
