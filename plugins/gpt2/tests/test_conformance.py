"""tfx-plugin-gpt2 against the tfx conformance kit (every head, parity with transformers).

Adds to the hand-written tests: discovery without a framework import, config/tokenizer round
trips both ways, heads loaded from a base checkpoint, reduced-precision loading, greedy decoding
with the KV cache equal to recomputing the sequence, and a pipeline run per task.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

EOS = 276  # `<|endoftext|>` in the kit's tiny byte-level vocabulary (277 tokens)

TINY = {
    "vocab_size": 300,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_positions": 64,
    "bos_token_id": EOS,
    "eos_token_id": EOS,
    "pad_token_id": EOS,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="gpt2",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_byte_level_bpe, style="gpt2", legacy=True),
        reference_tokenizer=True,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
        },
    )
