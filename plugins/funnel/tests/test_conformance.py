"""tfx-plugin-funnel against the tfx conformance kit, including parity with transformers.

Every head (the full model, the base model without decoder, the discriminator and the task
heads) is compared with the `transformers` class its HeadSpec names on the same weights, moved
both ways through files. The tiny config has three blocks, so the 7-token dummy inputs are
pooled twice (7 -> 4 -> 2 with `[CLS]` kept apart). The tokenizer is Funnel's WordPiece from
`vocab.txt` (token type 2 for `[CLS]`), converted by the core and compared with the
reference's. Every head under other block layouts, attention types and pooling options, with
padding and token types, is in test_parity.py.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "block_sizes": [1, 1, 1],
    "num_decoder_layers": 1,
    "d_model": 32,
    "n_head": 4,
    "d_head": 8,
    "d_inner": 37,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="funnel",
        config=TINY,
        reference=True,
        tokenizer_files=partial(write_wordpiece, legacy=True, tokenizer_class="FunnelTokenizer"),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
