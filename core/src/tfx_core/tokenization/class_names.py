"""The reference tokenizer class names tfx answers to (data only: read at `import tfx_core`)."""

from __future__ import annotations

#: Class stems: `Bert` -> `BertTokenizerFast` and `BertTokenizer`.
STEMS = (
    "Albert",
    "Bart",
    "Bert",
    "Bertweet",
    "Camembert",
    "CodeLlama",
    "ConvBert",
    "DistilBert",
    "Electra",
    "GPT2",
    "GPTNeoX",
    "Gemma",
    "LED",
    "LayoutLM",
    "Llama",
    "Longformer",
    "MBart",
    "MobileBert",
    "Mvp",
    "Pegasus",
    "Phobert",
    "Qwen2",
    "Reformer",
    "RemBert",
    "Roberta",
    "SqueezeBert",
    "T5",
    "XLMRoberta",
    "XLNet",
)

#: Classes whose tokenizer is fastBPE (vocab.txt + bpe.codes), saved as those files.
FASTBPE_STEMS = ("Bertweet", "Phobert")

BASE_NAMES = ("PreTrainedTokenizerFast", "PreTrainedTokenizerBase", "PreTrainedTokenizer")

NAMES = BASE_NAMES + tuple(
    f"{stem}{suffix}" for stem in STEMS for suffix in ("TokenizerFast", "Tokenizer")
)
