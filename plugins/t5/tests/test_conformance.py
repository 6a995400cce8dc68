"""tfx-plugin-t5 against the tfx conformance kit (every head, parity with transformers).

T5 v1.1's shape (gated GELU, untied head) for `t5`, mT5's defaults for `mt5`; tiny sizes, and a
tiny SentencePiece model in T5's id layout (`<pad>` 0, `</s>` 1, `<unk>` 2) for the tokenizer
checks.
"""

import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = {
    "vocab_size": 300,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 37,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
    "relative_attention_max_distance": 20,
    "decoder_start_token_id": 0,
    "eos_token_id": 1,
    "pad_token_id": 0,
}


def write_t5_sentencepiece(folder: Path) -> None:
    """`spiece.model` (unigram, T5's special ids) and a T5Tokenizer `tokenizer_config.json`."""
    from tfx_sdk.conformance.tiny_sentencepiece import train_sentencepiece

    model = train_sentencepiece(
        vocab_size=260, model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1
    )
    (folder / "spiece.model").write_bytes(model)
    config = {"tokenizer_class": "T5Tokenizer", "extra_ids": 20}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))


class TestT5Conformance(ConformanceSuite):
    tester = PluginTester(
        model_type="t5",
        config={**TINY, "feed_forward_proj": "gated-gelu", "tie_word_embeddings": False},
        reference=True,
        tokenizer_files=write_t5_sentencepiece,
        reference_tokenizer=True,
        tasks={
            "text2text-generation": "seq2seq-lm",
            "summarization": "seq2seq-lm",
            "translation": "seq2seq-lm",
        },
        task_inputs={
            "text2text-generation": "question: what is tfx? context: a model library",
            "summarization": {"inputs": "studies have shown that owning a dog is good for you"},
            "translation": {
                "inputs": "The house is wonderful.",
                "src_lang": "en",
                "tgt_lang": "de",
            },
        },
    )


class TestMT5Conformance(ConformanceSuite):
    tester = PluginTester(model_type="mt5", config=TINY, reference=True)
