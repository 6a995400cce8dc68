"""tfx-plugin-squeezebert against the tfx conformance kit, with parity against transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files; the tiny config uses different group counts per convolution.
SqueezeBERT's layer is its own (grouped convolutions), so the core's fast paths do not apply.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "hidden_size": 32,
    "embedding_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 48,
    "max_position_embeddings": 64,
    "q_groups": 2,
    "k_groups": 4,
    "v_groups": 1,
    "post_attention_groups": 2,
    "intermediate_groups": 4,
    "output_groups": 8,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="squeezebert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(
            write_wordpiece, legacy=True, tokenizer_class="SqueezeBertTokenizer"
        ),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
