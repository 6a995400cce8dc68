"""Issue 18's four named encoders at base shape, b1x16: tfx vs transformers in one run, as ratios.

ALBERT-base (albert-base-v2: 128-wide factorized embeddings, one shared layer group),
ELECTRA-base (the discriminator), XLM-RoBERTa-base and DeBERTa-v3-base (relative attention
with 256 log buckets, shared attention keys, normed relative embeddings). Sequence
classification, same weights, `inference_mode`, batch 1 x 16, rounds alternating between the
libraries; each row prints the wall-clock, process-CPU and best-round CPU ratios (see
bench/encoders.py, whose `compare` this reuses). The vocabularies of XLM-R (250k) and
DeBERTa-v3 (128k) are cut to 30k so the checkpoints stay light: the vocabulary size enters a
forward only through one embedding lookup. Targets (issue 18): <= 0.7x for the plugins on the
standard encoder block (ELECTRA, XLM-R), <= 0.8x otherwise (ALBERT's shared layer, DeBERTa's
disentangled attention).
Usage: `python bench/encoders_named.py [--quick] [--threads N]`.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE
from encoders import compare

# name -> (tfx module, class prefix, base-shape overrides of BERT_BASE, target)
ARCHITECTURES = {
    "albert-base": (
        "tfx_plugin_albert.modeling_albert",
        "Albert",
        {"vocab_size": 30000, "embedding_size": 128, "hidden_act": "gelu_new"},
        0.8,
    ),
    "electra-base": ("tfx_plugin_electra.modeling_electra", "Electra", {}, 0.7),
    "xlm-roberta-base": (
        "tfx_plugin_xlm_roberta.modeling_xlm_roberta",
        "XLMRoberta",
        {
            "vocab_size": 30000,
            "max_position_embeddings": 514,
            "type_vocab_size": 1,
            "pad_token_id": 1,
            "bos_token_id": 0,
            "eos_token_id": 2,
            "layer_norm_eps": 1e-5,
        },
        0.7,
    ),
    "deberta-v3-base": (
        "tfx_plugin_deberta_v2.modeling_deberta_v2",
        "DebertaV2",
        {
            "vocab_size": 30000,
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
        },
        0.8,
    ),
}


def _pair(name: str, folder: Path):
    import transformers

    module, prefix, extra, _ = ARCHITECTURES[name]
    head = f"{prefix}ForSequenceClassification"
    config = getattr(transformers, f"{prefix}Config")(**{**BERT_BASE, **extra})
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    ours = getattr(importlib.import_module(module), head).from_pretrained(folder)
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def main() -> None:
    quick = "--quick" in sys.argv
    if "--threads" in sys.argv:
        torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rounds = 5 if quick else 15
    generator = torch.Generator().manual_seed(0)
    inputs = {
        "input_ids": torch.randint(5, 30000, (1, 16), generator=generator),
        "attention_mask": torch.ones(1, 16, dtype=torch.long),
    }
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ARCHITECTURES:
            ours, reference = _pair(name, Path(tmp) / name)
            results[name] = compare(f"{name} 1x16", ours, reference, inputs, rounds, calls=5)
            del ours, reference
    print(f"load average {os.getloadavg()[0]:.1f}; ratios tfx/transformers (wall / cpu / cpu-best)")
    for name, result in results.items():
        print(
            f"{name:<17} b1x16 {result['wall']:.2f} / {result['cpu']:.2f} / "
            f"{result['cpu_best']:.2f}x (target <= {ARCHITECTURES[name][3]}x)"
        )


if __name__ == "__main__":
    main()
