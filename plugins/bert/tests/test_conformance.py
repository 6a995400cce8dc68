"""tfx-plugin-bert against the tfx conformance kit (every head, parity with transformers).

The kit adds what the hand-written tests do not cover in one place: discovery without a
framework import, config/tokenizer round trips both ways, heads loaded from a base checkpoint,
reduced-precision loading and a pipeline run per task.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="bert",
        config=TINY,
        reference=True,
        head_config={"causal-lm": {"is_decoder": True}},
        tokenizer_files=partial(write_wordpiece, legacy=True),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
