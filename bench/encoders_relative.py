"""DeBERTa-v3, DeBERTa, MPNet and FNet at base shape: tfx vs transformers in one run, as ratios.

Same protocol as bench/encoders.py (bench/bert.py's `compare_forward`: same weights,
`inference_mode`, alternating rounds), sequence classification at batch 1 x 16 and a tiny
config at 1 x 8. The v3 shape is microsoft/deberta-v3-base's config (relative attention with
256 log buckets, shared attention keys, normed relative embeddings, no absolute positions; the
vocabulary cut to 30k so the run stays light: it does not enter the forward's cost but the
embedding lookup). tfx projects only the relative-embedding rows a forward reads (2L - 1)
instead of the whole table in every layer. MPNet runs the core's lean encoder path (its
position bias rides in the attention bias); FNet its own modules. Target (issue 18): b1x16
<= 0.8x (<= 0.7x on the standard block). Usage:
`python bench/encoders_relative.py [--quick] [--only deberta-v3,mpnet]`.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, TINY, compare_forward

V3 = {
    "vocab_size": 30000,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-7,
    "max_relative_positions": -1,
    "pad_token_id": 0,
    "pooler_dropout": 0,
    "pooler_hidden_act": "gelu",
    "pos_att_type": ["p2c", "c2p"],
    "position_biased_input": False,
    "position_buckets": 256,
    "relative_attention": True,
    "share_att_key": True,
    "norm_rel_ebd": "layer_norm",
    "type_vocab_size": 0,
}
V1 = {
    "vocab_size": 30000,
    "layer_norm_eps": 1e-7,
    "relative_attention": True,
    "max_relative_positions": -1,
    "pos_att_type": ["c2p", "p2c"],
    "type_vocab_size": 0,
}
# name -> (tfx module, class prefix, config overrides)
ARCHITECTURES = {
    "deberta-v3": ("tfx_plugin_deberta_v2.modeling_deberta_v2", "DebertaV2", V3),
    "deberta": ("tfx_plugin_deberta.modeling_deberta", "Deberta", V1),
    "mpnet": ("tfx_plugin_mpnet.modeling_mpnet", "MPNet", {"vocab_size": 30000}),
    "fnet": ("tfx_plugin_fnet.modeling_fnet", "FNet", {"vocab_size": 30000}),
}


def _pair(name: str, folder: Path, shape: dict):
    import transformers

    module, prefix, extra = ARCHITECTURES[name]
    head = f"{prefix}ForSequenceClassification"
    config = getattr(transformers, f"{prefix}Config")(**{**shape, **extra})
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    ours = getattr(importlib.import_module(module), head).from_pretrained(folder)
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def _inputs(name: str, batch: int, length: int, vocab: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    inputs = {"input_ids": torch.randint(4, vocab, (batch, length), generator=generator)}
    if name != "fnet":  # FNet takes no attention mask
        inputs["attention_mask"] = torch.ones(batch, length, dtype=torch.long)
    return inputs


def main() -> None:
    quick = "--quick" in sys.argv
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    rounds = 5 if quick else 15
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in only or ARCHITECTURES:
            ours, reference = _pair(name, Path(tmp) / f"{name}-base", BERT_BASE)
            inputs = _inputs(name, 1, 16, 30000)
            base = compare_forward(f"{name} base 1x16", ours, reference, inputs, rounds, calls=5)
            del ours, reference
            tiny_shape = {**TINY, "position_buckets": 16} if name == "deberta-v3" else TINY
            ours, reference = _pair(name, Path(tmp) / f"{name}-tiny", tiny_shape)
            inputs = _inputs(name, 1, 8, TINY["vocab_size"])
            tiny = compare_forward(f"{name} tiny 1x8", ours, reference, inputs, rounds, calls=200)
            results[name] = (base, tiny)
    for name, (base, tiny) in results.items():
        print(f"{name:<14} b1x16 {base:.2f}x (target <= 0.8x)   tiny {tiny:.2f}x")


if __name__ == "__main__":
    main()
