"""tfx-plugin-mobilebert against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files. The tiny config keeps the checkpoints' layout (trigram input,
bottlenecks with shared query/key input, three stacked feed-forward networks, NoNorm), so
the fast path (queries and keys as one product) is checked against the modules. The tokenizer
is BERT's WordPiece from `vocab.txt`, converted by the core.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "embedding_size": 16,
    "hidden_size": 32,
    "intra_bottleneck_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "num_feedforward_networks": 3,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="mobilebert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
