"""The conformance kit's cross-framework checks on the TensorFlow heads (issue 13).

Every bert head; base + one head for distilbert, roberta, gpt2 (causal-lm: also greedy ids);
seq2seq-lm (logits, round trips, greedy ids) for bart and t5. Tiny configs, padded inputs.
"""

from __future__ import annotations

import pytest

from tfx_sdk.conformance import ConformanceFailure, CrossFrameworkSuite, PluginTester
from tfx_sdk.conformance.checks_frameworks import check_framework_parity, pair_for
from tfx_sdk.conformance.subject import subject_for

FRAMEWORK = "tf"

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


def _tester(
    model_type: str, config: dict, heads: tuple[str, ...] | None, **options
) -> PluginTester:
    return PluginTester(
        model_type=model_type,
        config=config,
        heads=heads,
        frameworks=(FRAMEWORK,),
        reference=True,
        **options,
    )


class TestBert(CrossFrameworkSuite):
    # generative_heads=(): TFBertLMHeadModel has no generate() yet (the reference's
    # BertLMHeadModel and FlaxBertLMHeadModel have); drop this once it has, and the kit checks it.
    tester = _tester(
        "bert",
        ENCODER,
        None,
        head_config={"causal-lm": {"is_decoder": True}},
        generative_heads=(),
    )


class TestDistilBert(CrossFrameworkSuite):
    tester = _tester("distilbert", DISTILBERT, ("base", "sequence-classification"))


class TestRoberta(CrossFrameworkSuite):
    tester = _tester("roberta", {**ENCODER, "pad_token_id": 1}, ("base", "masked-lm"))


class TestGPT2(CrossFrameworkSuite):
    tester = _tester("gpt2", GPT2, ("base", "causal-lm"))


class TestBart(CrossFrameworkSuite):
    tester = _tester("bart", BART, ("seq2seq-lm",))


class TestT5(CrossFrameworkSuite):
    tester = _tester("t5", T5, ("seq2seq-lm",))


def test_kit_catches_a_wrong_weight(tmp_path_factory):
    """The parity check fails when one TF weight differs from the file's (it can fail)."""
    subject = subject_for(TestGPT2.tester)
    pair = pair_for(subject, "base", "tf", tmp_path_factory)
    weight = next(w for w in pair.model.weights if len(w.shape) == 2 and "embed" not in w.path)
    original = weight.numpy()
    weight.assign(original * 1.1)
    try:
        with pytest.raises(ConformanceFailure, match="differs from the reference"):
            check_framework_parity(subject, "base", "tf", tmp_path_factory)
    finally:
        weight.assign(original)
