"""tfx-plugin-roberta against the tfx conformance kit, including parity with transformers.

Every head (causal-lm included, as a decoder with `is_decoder=True`) is compared with the
`transformers` class its HeadSpec names: the same key set is saved, and logits agree (<= 1e-5)
with weights moved both ways through files. The tokenizer is byte-level BPE from legacy
`vocab.json` + `merges.txt`, converted by the GPT-2 plugin, and is checked against
`transformers.AutoTokenizer` on the same files and on each library's saved files.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

TINY = {
    "vocab_size": 300,  # the kit's tiny byte-level vocabulary has 281 tokens
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "type_vocab_size": 1,
    "layer_norm_eps": 1e-5,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="roberta",
        config=TINY,
        head_config={"causal-lm": {"is_decoder": True}},
        reference=True,
        tokenizer_files=partial(write_byte_level_bpe, style="roberta", legacy=True),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
            "text-generation": "causal-lm",
        },
    )
