"""tfx-plugin-deberta against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files: relative attention with both position terms and a
`max_relative_positions` shorter than the dummy inputs (distances clamp), absolute positions
and token types; the second suite has no relative attention and factorized embeddings. The
pipelines run on tiny GPT-2-style BPE files converted by the core's `convert_deberta_bpe`.
"""

import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_tokenizers import WORDS


def write_bpe(folder: Path) -> None:
    """Tiny DeBERTa-layout BPE files: `[PAD] [CLS] [SEP] [UNK]` first, `[MASK]` last."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=290,
        special_tokens=["[PAD]", "[CLS]", "[SEP]", "[UNK]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([" ".join(WORDS)] * 4, trainer)
    model = json.loads(bpe.to_str())["model"]
    vocab = {**model["vocab"], "[MASK]": len(model["vocab"])}
    merges = [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 32}))


RELATIVE = {
    "vocab_size": 300,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "relative_attention": True,
    "max_relative_positions": 4,
    "pos_att_type": "c2p|p2c",
    "type_vocab_size": 2,
}

ABSOLUTE = {
    "vocab_size": 99,
    "hidden_size": 32,
    "embedding_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}


class TestDebertaRelative(ConformanceSuite):
    tester = PluginTester(
        model_type="deberta",
        config=RELATIVE,
        reference=True,
        tokenizer_files=write_bpe,
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestDebertaAbsolute(ConformanceSuite):
    # every head's parity on this layout (with token types and labels) is in test_parity.py
    tester = PluginTester(
        model_type="deberta", config=ABSOLUTE, heads=("base", "masked-lm"), reference=True
    )
