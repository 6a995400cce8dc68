"""tfx-plugin-mbart against the tfx conformance kit, including parity with transformers."""

import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_sentencepiece import train_sentencepiece

TINY = {
    "vocab_size": 340,  # the tiny SentencePiece model below: ~300 pieces, 25 codes, <mask>
    "d_model": 32,
    "encoder_layers": 2,
    "decoder_layers": 2,
    "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "encoder_ffn_dim": 37,
    "decoder_ffn_dim": 37,
    "max_position_embeddings": 64,
    "scale_embedding": True,
    "decoder_start_token_id": 2,
}


def write_tokenizer(folder: Path) -> None:
    (folder / "sentencepiece.bpe.model").write_bytes(train_sentencepiece(model_type="bpe"))
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "MBartTokenizer"}))


class TestConformance(ConformanceSuite):
    tester = PluginTester(
        model_type="mbart",
        config=TINY,
        reference=True,
        tokenizer_files=write_tokenizer,
        reference_tokenizer=True,
    )
