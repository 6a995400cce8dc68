"""tfx-plugin-bert-generation against the tfx conformance kit (both heads, parity with
transformers, its SentencePiece tokenizer against the reference's on a tiny `spiece.model`
trained here: no file is shipped)."""

from __future__ import annotations

import io
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "Summaries are short; translations keep the meaning.",
    "Héllo wörld, ça va? Naïve café façade.",
    "数据 与 模型 在 一起。 東京 は 晴れ。",
    "Numbers like 3.14159 and 2,718 appear in 1999 and 2024!",
    "emoji 🙂 and symbols © ® ™ sit between words",
    "BERT2BERT reads an article and writes its headline.",
] * 4


def write_spiece(folder: Path) -> None:
    """Train a ~200-piece unigram model with BertGeneration's id layout into `folder`."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS),
        model_writer=buffer,
        vocab_size=200,
        hard_vocab_limit=False,
        model_type="unigram",
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        minloglevel=2,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spiece.model").write_bytes(buffer.getvalue())


TINY = {
    "vocab_size": 200,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
}


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="bert-generation",
        config=TINY,
        reference=True,
        head_config={"causal-lm": {"is_decoder": True}},
        tokenizer_files=write_spiece,
        reference_tokenizer=True,
        tasks={"feature-extraction": "base", "text-generation": "causal-lm"},
    )
