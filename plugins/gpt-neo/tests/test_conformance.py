"""tfx-plugin-gpt-neo against the tfx conformance kit (every head, parity with transformers).

Both layer kinds are in the tiny model, and the window is shorter than the kit's inputs, so the
local layers' sliding window is exercised by every check (parity, fast path == module path,
greedy decoding with the KV cache).
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

EOS = 276  # `<|endoftext|>` in the kit's tiny byte-level vocabulary (277 tokens)

TINY = {
    "vocab_size": 300,
    "hidden_size": 32,
    "num_layers": 2,
    "attention_types": [[["global", "local"], 1]],
    "window_size": 4,
    "num_heads": 4,
    "max_position_embeddings": 64,
    "bos_token_id": EOS,
    "eos_token_id": EOS,
    "pad_token_id": EOS,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="gpt_neo",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_byte_level_bpe, style="gpt2", legacy=True),
        reference_tokenizer=True,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
        },
    )
