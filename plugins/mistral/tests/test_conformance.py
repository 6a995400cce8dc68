"""tfx-plugin-mistral against the tfx conformance kit (every head, parity with transformers).

Discovery without a framework import, config/tokenizer round trips both ways, heads loaded from
a base checkpoint, reduced-precision loading, greedy decoding with the KV cache and the fast
paths, and a pipeline run per task. Grouped key/value heads (4 query heads, 2 KV heads).
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_byte_level_bpe

EOS = 276  # `<|endoftext|>` in the kit's tiny byte-level vocabulary (277 tokens)

TINY = {
    "vocab_size": 300,
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "bos_token_id": EOS,
    "eos_token_id": EOS,
    "pad_token_id": EOS,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="mistral",
        config=TINY,
        reference=True,
        tokenizer_files=partial(
            write_byte_level_bpe, style="gpt2", tokenizer_class="PreTrainedTokenizerFast"
        ),
        reference_tokenizer=True,
        tasks={
            "text-generation": "causal-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
        },
    )
