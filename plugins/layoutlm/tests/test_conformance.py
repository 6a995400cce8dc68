"""tfx-plugin-layoutlm against the tfx conformance kit, with parity against transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files; the kit's inputs carry no boxes (all zeros, as the reference
defaults them), `test_layoutlm.py` checks real boxes. The tokenizer is BERT's WordPiece from a
legacy `vocab.txt`, converted by the core and compared with `LayoutLMTokenizer(Fast)`.
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
    "max_2d_position_embeddings": 128,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="layoutlm",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True, tokenizer_class="LayoutLMTokenizer"),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
