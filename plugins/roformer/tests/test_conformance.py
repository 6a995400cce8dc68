"""tfx-plugin-roformer against the tfx conformance kit, including parity with transformers.

Every head (causal-lm as a decoder with `is_decoder=True`, which also exercises the rotation
of cached keys) is compared with the `transformers` class its HeadSpec names on the same
weights, moved both ways through files; the tiny config has `embedding_size != hidden_size`.
The second suite rotates the values too (`rotary_value`). The tokenizer is WordPiece from
`vocab.txt`, converted by the core.
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
        model_type="roformer",
        config=TINY,
        head_config={"causal-lm": {"is_decoder": True}},
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True),
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestRotaryValue(ConformanceSuite):
    tester = PluginTester(
        model_type="roformer",
        config={**TINY, "rotary_value": True},
        heads=("base", "masked-lm"),
        reference=True,
    )
