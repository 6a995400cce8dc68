"""tfx-plugin-ibert against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files (the saved key sets, quantization buffers included, are equal).
The model is built on the core blocks, so the fast-path promises are checked too. The
tokenizer is RoBERTa's byte-level BPE from legacy `vocab.json` + `merges.txt`.
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
    "layer_norm_eps": 1e-5,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="ibert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_byte_level_bpe, style="roberta", legacy=True),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
