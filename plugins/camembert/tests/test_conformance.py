"""tfx-plugin-camembert against the tfx conformance kit, including parity with transformers.

Every head (causal-lm as a decoder with `is_decoder=True`) is compared with the `transformers`
class its HeadSpec names, with weights moved both ways through files. The SentencePiece
tokenizer conversion is checked against the reference in the core's converter tests.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester

TINY = {
    "vocab_size": 99,
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
        model_type="camembert",
        config=TINY,
        head_config={"causal-lm": {"is_decoder": True}},
        reference=True,
    )
