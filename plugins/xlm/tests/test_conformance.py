"""tfx-plugin-xlm against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names (`reference=True`) on
the same weights moved both ways through files; the tokenizer (Moses + BPE from tiny
`vocab.json` + `merges.txt`) is checked against the reference's `XLMTokenizer` on the same files
and on each library's saved files. Options the dummy inputs do not reach (languages, token
types, `lengths`, causal mode, sinusoidal positions, the beam-search head's training loss) are
covered in test_modeling_xlm.py.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_moses_bpe import write_moses_bpe

TINY = {
    "vocab_size": 280,
    "emb_dim": 32,
    "n_layers": 2,
    "n_heads": 4,
    "n_langs": 3,
    "max_position_embeddings": 64,
    "start_n_top": 3,
    "end_n_top": 2,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="xlm",
        config=TINY,
        # "causal-lm" is the masked-LM class again; its `generate` (a mask token appended at
        # every step, as the reference) is checked against the reference in test_modeling_xlm
        heads=(
            "base",
            "masked-lm",
            "sequence-classification",
            "token-classification",
            "question-answering",
            "question-answering-beam",
            "multiple-choice",
        ),
        reference=True,
        tokenizer_files=partial(write_moses_bpe, style="xlm"),
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
