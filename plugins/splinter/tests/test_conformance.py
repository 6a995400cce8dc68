"""tfx-plugin-splinter against the tfx conformance kit, with parity against transformers.

The base model and the QA head are compared with the reference on the same weights, moved both
ways through files (the kit's inputs hold no `[QUESTION]`, so the head reads position 0, as the
reference does); the pre-training head needs question tokens and is compared in
`test_splinter.py`. The tokenizer is the plugin's converter over a legacy `vocab.txt`
(`[QUESTION]` added), compared with `SplinterTokenizerFast`.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "question_token_id": 140,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="splinter",
        config=TINY,
        heads=("base", "question-answering"),
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True, tokenizer_class="SplinterTokenizer"),
        reference_tokenizer=True,
        tasks={"question-answering": "question-answering", "feature-extraction": "base"},
    )
