"""tfx-plugin-flaubert against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names (`reference=True`) on
the same weights moved both ways through files, for the post-norm (base) and pre-norm (large)
layouts; the tokenizer (French Moses + BPE from tiny `vocab.json` + `merges.txt`) is checked
against the reference's `FlaubertTokenizer` on the same files and on each library's saved files.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_moses_bpe import write_moses_bpe

TINY = {
    "vocab_size": 280,
    "emb_dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "max_position_embeddings": 64,
    "start_n_top": 3,
    "end_n_top": 2,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="flaubert",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_moses_bpe, style="flaubert", lowercase=False),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestPreNormConformance(ConformanceSuite):
    """The large models' layout: layer norm before each sub-layer, with LayerDrop."""

    tester = PluginTester(
        model_type="flaubert",
        config={**TINY, "pre_norm": True, "layerdrop": 0.2},
        heads=("base", "masked-lm", "question-answering-beam"),
        reference=True,
        dtypes=(),
    )
