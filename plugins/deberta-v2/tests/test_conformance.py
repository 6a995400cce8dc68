"""tfx-plugin-deberta-v2 against the tfx conformance kit, including parity with transformers.

Every head is compared with the `transformers` class its HeadSpec names on the same weights,
moved both ways through files, on two tiny configs that together cover the options real
checkpoints use: a DeBERTa-v3 layout (log-bucketed positions reached by the dummy inputs,
`share_att_key`, `norm_rel_ebd`, no absolute positions, no token types) and a DeBERTa-v2
layout (separate `pos_key_proj` / `pos_query_proj`, the convolution after the first layer,
absolute positions, token types, factorized embeddings with the legacy masked-LM head).
The tokenizer (`spm.model` through the core's converter) is checked in test_tokenizer.py.
"""

import io
import json
from pathlib import Path

from tfx_sdk.conformance import ConformanceSuite, PluginTester
from tfx_sdk.conformance.tiny_tokenizers import WORDS


def write_spm(folder: Path) -> None:
    """A tiny `spm.model` with the v3 special-token ids (its vocabulary stays under 200)."""
    import sentencepiece

    buffer = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter([" ".join(WORDS)] * 4 + ["Paris is the capital of France."]),
        model_writer=buffer,
        vocab_size=120,
        hard_vocab_limit=False,
        pad_id=0,
        bos_id=1,
        eos_id=2,
        unk_id=3,
        pad_piece="[PAD]",
        bos_piece="[CLS]",
        eos_piece="[SEP]",
        unk_piece="[UNK]",
        minloglevel=2,
    )
    (folder / "spm.model").write_bytes(buffer.getvalue())
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 32}))


V3 = {
    "vocab_size": 200,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "relative_attention": True,
    "position_buckets": 6,
    "pos_att_type": ["p2c", "c2p"],
    "share_att_key": True,
    "norm_rel_ebd": "layer_norm",
    "position_biased_input": False,
    "type_vocab_size": 0,
}

V2 = {
    "vocab_size": 99,
    "hidden_size": 32,
    "embedding_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 37,
    "max_position_embeddings": 64,
    "max_relative_positions": 5,
    "relative_attention": True,
    "pos_att_type": "c2p|p2c",
    "conv_kernel_size": 3,
    "conv_act": "gelu",
    "type_vocab_size": 2,
    "pooler_hidden_act": "tanh",
}


class TestDebertaV3(ConformanceSuite):
    tester = PluginTester(
        model_type="deberta-v2",
        config=V3,
        reference=True,
        tokenizer_files=write_spm,
        reference_tokenizer=True,
        tasks={
            "fill-mask": "masked-lm",
            "text-classification": "sequence-classification",
            "token-classification": "token-classification",
            "question-answering": "question-answering",
            "feature-extraction": "base",
        },
    )


class TestDebertaV2(ConformanceSuite):
    # every head's parity on this layout (with token types and labels) is in test_parity.py
    tester = PluginTester(
        model_type="deberta-v2", config=V2, heads=("base", "masked-lm"), reference=True
    )
