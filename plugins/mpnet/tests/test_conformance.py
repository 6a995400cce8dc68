"""tfx-plugin-mpnet against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files, with padded dummy inputs. The layers run through the core's lean
encoder path at inference, so the kit also checks fast path == modules, hooks and patches
honoured. The pipelines run on a tiny MPNet-layout `vocab.txt` converted by `convert_mpnet`.
"""

import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_tokenizers import WORDPIECE_SPECIALS, wordpiece_vocab

TINY = {
    "vocab_size": 160,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "relative_attention_num_buckets": 32,
}


def write_vocab(folder: Path) -> None:
    """MPNet's layout: `<s> <pad> </s> <unk>` first, `[UNK]`, the pieces, `<mask>` last."""
    pieces = [p for p in wordpiece_vocab() if p not in WORDPIECE_SPECIALS]
    vocab = ["<s>", "<pad>", "</s>", "<unk>", "[UNK]", *pieces, "<mask>"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 32}))


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="mpnet",
        config=TINY,
        reference=True,
        tokenizer_files=write_vocab,
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )
