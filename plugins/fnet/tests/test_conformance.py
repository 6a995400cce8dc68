"""tfx-plugin-fnet against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files. FNet takes no attention mask (`without_attention_mask`). The
pipelines run on a tiny `spiece.model` converted by the core's `convert_fnet`.
"""

import io
import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_tokenizers import WORDS

TINY = {
    "vocab_size": 200,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}


def write_spiece(folder: Path) -> None:
    """A tiny `spiece.model` with FNet's ids (`<pad>` 0, `<unk>` 1, `[CLS]` `[SEP]` `[MASK]`)."""
    import sentencepiece

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter([" ".join(WORDS)] * 4 + ["Paris is the capital of France."]),
        model_writer=buffer,
        vocab_size=120,
        hard_vocab_limit=False,
        pad_id=0,
        unk_id=1,
        bos_id=-1,
        eos_id=-1,
        control_symbols=["[CLS]", "[SEP]", "[MASK]"],
        minloglevel=2,
    )
    (folder / "spiece.model").write_bytes(buffer.getvalue())
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 32}))


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="fnet",
        config=TINY,
        reference=True,
        without_attention_mask=True,
        tokenizer_files=write_spiece,
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
