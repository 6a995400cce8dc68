"""tfx-plugin-vilt against the tfx conformance kit, on questions and images together
(`modality="text+image"`).

The reference draws ViLT's image patches in a random order (attention does not see the order),
so its patch states cannot be compared position by position: the kit compares the question
answering head (pooled from the first token) with the reference, and checks the base model
without one; test_vilt.py compares the base model's pooled and text states.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, sibling_module, write_wordpiece

# the plugin tests' tiny config, with room for the kit's WordPiece vocabulary
TINY = {**sibling_module(__file__, "test_vilt.py").TINY, "vocab_size": 140}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="vilt",
        config=TINY,
        reference={"visual-question-answering": "ViltForQuestionAnswering"},
        modality="text+image",
        tokenizer_files=write_wordpiece,
    )
