"""tfx-plugin-albert against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files. The tiny config has `embedding_size != hidden_size` (the
factorized embeddings and `embedding_hidden_mapping_in`); the second suite shares two groups of
two layers over four layers, so the layer schedule, head masks and hidden states of shared
layers are checked too. The SentencePiece conversion (`convert_albert`) is checked against the
reference in the core's converter tests; the pipelines here run on a tiny `tokenizer.json`.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "embedding_size": 24,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="albert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_wordpiece, tokenizer_class="AlbertTokenizer"),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestSharedGroups(ConformanceSuite):
    tester = PluginTester(
        model_type="albert",
        config={**TINY, "num_hidden_layers": 4, "num_hidden_groups": 2, "inner_group_num": 2},
        heads=("base", "pretraining", "sequence-classification"),
        reference=True,
    )
