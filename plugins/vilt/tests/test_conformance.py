"""tfx-plugin-vilt against the tfx conformance kit, on questions and images together
(`modality="text+image"`).

The reference draws ViLT's image patches in a random order (attention does not see the order),
so its patch states cannot be compared position by position: the kit compares the question
answering head (pooled from the first token) with the reference, and checks the base model
without one; test_vilt.py compares the base model's pooled and text states.
"""

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 140,  # the kit's WordPiece vocabulary
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "image_size": 32,
    "patch_size": 8,
    "max_position_embeddings": 20,
    "num_labels": 6,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="vilt",
        config=TINY,
        reference={"visual-question-answering": "ViltForQuestionAnswering"},
        modality="text+image",
        tokenizer_files=write_wordpiece,
    )
