"""tfx-plugin-dpr against the tfx conformance kit, with parity against transformers.

The context encoder and the reader are compared with the reference class their HeadSpec names,
weights moved both ways through files; they are built on the core's encoder blocks, so the
fast-path checks run too. The "base" head (what `AutoModel` builds, as in the reference) is the
question encoder, the context encoder's twin; its output is an embedding, not the hidden states
the kit's base-model checks expect, so `test_dpr.py` compares it with the reference.
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
HEADS = ("context-encoder", "reader")


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="dpr",
        config=TINY,
        heads=HEADS,
        reference=True,
        tokenizer_files=partial(
            write_wordpiece, legacy=True, tokenizer_class="DPRQuestionEncoderTokenizer"
        ),
        reference_tokenizer=True,
    )


class TestProjected(ConformanceSuite):
    tester = PluginTester(
        model_type="dpr",
        config={**TINY, "projection_dim": 16},
        heads=("context-encoder",),  # the reader needs projection_dim 0 (as the reference)
        reference=True,
    )
