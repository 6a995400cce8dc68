"""tfx-plugin-roberta against the tfx conformance kit (each check per head and framework).

`reference` stays None until a `transformers` implementation exists to compare with; name its
classes then (e.g. `reference=True` to use each HeadSpec's `hf_architecture`) and the kit adds
saved-key and logits-parity checks, both ways.
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
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="roberta",
        config=TINY,
        reference=None,
        tokenizer_files=partial(write_wordpiece, legacy=False),
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
