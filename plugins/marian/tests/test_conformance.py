"""tfx-plugin-marian against the tfx conformance kit, including parity with transformers.

The tokenizer is compared with the reference's (slow-only) MarianTokenizer in
test_tokenization_marian.py, whose files this suite uses too.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module

_FILES = sibling_module(__file__, "test_tokenization_marian.py")

TINY = {
    "vocab_size": 420,  # the tiny joint vocabulary of the tokenizer tests (~350 tokens)
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "scale_embedding": True,
    "pad_token_id": 419,
    "eos_token_id": 0,
    "decoder_start_token_id": 419,
    "forced_eos_token_id": 0,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="marian",
        config=TINY,
        reference=True,
        tokenizer_files=_FILES.write_tokenizer,
    )
