"""tfx-plugin-pegasus against the tfx conformance kit, including parity with transformers."""

import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_sentencepiece import train_sentencepiece

TINY = {
    "vocab_size": 420,  # the tiny SentencePiece model below, after Pegasus's 103 reserved ids
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "scale_embedding": True,
}


def write_tokenizer(folder: Path) -> None:
    model = train_sentencepiece(model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    (folder / "spiece.model").write_bytes(model)
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PegasusTokenizer"})
    )


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="pegasus",
        config=TINY,
        reference=True,
        tokenizer_files=write_tokenizer,
        reference_tokenizer=True,
    )
