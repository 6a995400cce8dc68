"""tfx-plugin-distilbert against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names (`reference=True`):
the same key set is saved, and logits agree (<= 1e-5) with weights moved both ways through files.
The tokenizer comes from BERT's legacy `vocab.txt`, converted by the BERT plugin, and is checked
against `transformers.AutoTokenizer` on the same files and on each library's saved files.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "hidden_dim": 37,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="distilbert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(
            write_wordpiece, legacy=True, tokenizer_class="DistilBertTokenizer"
        ),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestSinusoidalConformance(ConformanceSuite):
    """`sinusoidal_pos_embds=True` checkpoints: fixed position table, same weights and logits."""

    tester = PluginTester(
        model_type="distilbert",
        config={**TINY, "sinusoidal_pos_embds": True, "activation": "relu"},
        heads=("base", "masked-lm"),
        reference=True,
        dtypes=(),
    )
