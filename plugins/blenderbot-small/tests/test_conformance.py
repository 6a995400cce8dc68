"""tfx-plugin-blenderbot-small against the tfx conformance kit, with parity with transformers."""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

_FILES = sibling_module(__file__, "test_tokenization_blenderbot_small.py")

TINY = {
    "vocab_size": 420,  # the tiny BPE vocabulary of the tokenizer tests (~400 tokens)
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="blenderbot-small",
        config=TINY,
        reference=True,
        tokenizer_files=_FILES.write_tokenizer,
    )
