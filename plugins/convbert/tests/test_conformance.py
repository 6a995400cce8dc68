"""tfx-plugin-convbert against the tfx conformance kit, with parity against transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files. The tiny config has factorized embeddings, a kernel of 5 and
two attention plus two convolution heads; the second suite uses grouped feed-forward layers.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "embedding_size": 24,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 48,
    "max_position_embeddings": 64,
    "conv_kernel_size": 5,
    "pad_token_id": 0,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="convbert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True, tokenizer_class="ConvBertTokenizer"),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestGrouped(ConformanceSuite):
    tester = PluginTester(
        model_type="convbert",
        config={**TINY, "num_groups": 4, "head_ratio": 4},
        heads=("base", "sequence-classification"),
        reference=True,
    )
