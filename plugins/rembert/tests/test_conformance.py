"""tfx-plugin-rembert against the tfx conformance kit, with parity against transformers.

Every head (causal-lm as a decoder with `is_decoder=True`) is compared with the `transformers`
class its HeadSpec names on the same weights, moved both ways through files. The tiny config
decouples the widths (`input_embedding_size` 24, `output_embedding_size` 40, hidden 32), so
the mapping into the encoder and the untied output matrix are checked. Pipelines run on a tiny
WordPiece `tokenizer.json`; `test_rembert.py` checks the SentencePiece tokenizer.
"""

from functools import partial

from tfx_sdk.conformance import ConformanceSuite, PluginTester, write_wordpiece

TINY = {
    "vocab_size": 160,
    "hidden_size": 32,
    "input_embedding_size": 24,
    "output_embedding_size": 40,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "bos_token_id": 2,
    "eos_token_id": 3,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="rembert",
        config=TINY,
        head_config={"causal-lm": {"is_decoder": True}},
        reference=True,
        tokenizer_files=partial(write_wordpiece, tokenizer_class="RemBertTokenizer"),
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
            "text-generation": "causal-lm",
        },
    )
