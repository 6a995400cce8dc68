"""tfx-plugin-blenderbot against the tfx conformance kit, including parity with transformers."""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

TINY = {
    "vocab_size": 300,  # the kit's tiny byte-level vocabulary has 281 tokens
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "scale_embedding": True,
    "encoder_no_repeat_ngram_size": 0,  # the kit's random checks; test_blenderbot covers it
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="blenderbot",
        config=TINY,
        reference=True,
        tokenizer_files=partial(
            write_byte_level_bpe,
            style="roberta",
            legacy=True,
            tokenizer_class="BlenderbotTokenizer",
        ),
        reference_tokenizer=True,
    )
