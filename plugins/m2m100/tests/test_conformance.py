"""tfx-plugin-m2m100 against the tfx conformance kit, including parity with transformers.

The tokenizer is compared with the reference's (slow-only) M2M100Tokenizer in
test_tokenization_m2m100.py, whose files this suite uses too.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

_FILES = sibling_module(__file__, "test_tokenization_m2m100.py")

TINY = {
    "vocab_size": 420,  # the tiny vocabulary of the tokenizer tests and 100 language tokens
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
        model_type="m2m_100",
        config=TINY,
        reference=True,
        tokenizer_files=_FILES.write_tokenizer,
    )
