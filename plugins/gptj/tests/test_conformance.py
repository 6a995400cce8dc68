"""tfx-plugin-gptj against the tfx conformance kit (every head, parity with transformers).

The tiny model rotates half of each head (`rotary_dim` 4 of 8 channels), so partial interleaved
rotation and the parallel residual are exercised by every check, the fast-path ones included.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

EOS = 276  # `<|endoftext|>` in the kit's tiny byte-level vocabulary (277 tokens)

TINY = {
    "vocab_size": 300,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "rotary_dim": 4,
    "n_positions": 64,
    "bos_token_id": EOS,
    "eos_token_id": EOS,
    "pad_token_id": EOS,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="gptj",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_byte_level_bpe, style="gpt2", legacy=True),
        reference_tokenizer=True,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
            "question-answering": "question-answering",
        },
    )
