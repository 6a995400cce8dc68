"""Tiny configs and the kit tester shared by tests/tf/test_tf_kit.py and
tests/flax/test_flax_kit.py (each runs in its own process, importing this by path)."""

from __future__ import annotations

from tfx_sdk.conformance import PluginTester

ENCODER = {
    "vocab_size": 99,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}
DISTILBERT = {
    "vocab_size": 99,
    "dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "hidden_dim": 37,
    "max_position_embeddings": 64,
}
GPT2 = {
    "vocab_size": 99,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_positions": 64,
    "bos_token_id": 98,
    "eos_token_id": 98,
    "pad_token_id": 98,
}
BART = {
    "vocab_size": 99,
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
}
T5 = {
    "vocab_size": 99,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 37,
    "num_layers": 2,
    "num_decoder_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
    "relative_attention_max_distance": 20,
    "feed_forward_proj": "gated-gelu",
    "tie_word_embeddings": False,
    "decoder_start_token_id": 0,
    "eos_token_id": 1,
    "pad_token_id": 0,
}


def cross_framework_tester(
    framework: str, model_type: str, config: dict, heads: tuple[str, ...] | None, **options
) -> PluginTester:
    """A kit tester comparing `framework`'s heads of `model_type` with the reference."""
    return PluginTester(
        model_type=model_type,
        config=config,
        heads=heads,
        frameworks=(framework,),
        reference=True,
        **options,
    )
