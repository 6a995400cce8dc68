"""MobileBERT and I-BERT: tfx vs transformers in one run, as ratios.

I-BERT runs on the core's post-norm encoder (fused projections, lean encoder path);
MobileBERT's layer is its own (bottlenecks, stacked feed-forward networks, NoNorm) and gets
only the fused query/key product. Shapes: google/mobilebert-uncased (24 layers, 512 wide,
128 inside) and kssteven/ibert-roberta-base (roberta-base), sequence classification at
batch 1 x 16, same weights, `inference_mode`, rounds alternating between the libraries (see
bench/bert.py). Usage: `python bench/encoders_mobile.py [--quick]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, compare_forward

# name -> (tfx module, class prefix, config)
ARCHITECTURES = {
    "mobilebert": ("tfx_plugin_mobilebert.modeling_mobilebert", "MobileBert", {}),
    "ibert": (
        "tfx_plugin_ibert.modeling_ibert",
        "IBert",
        {**BERT_BASE, "vocab_size": 50265, "max_position_embeddings": 514, "type_vocab_size": 1},
    ),
}


def _pair(name: str, folder: Path):
    import importlib

    import transformers

    module, prefix, shape = ARCHITECTURES[name]
    head = f"{prefix}ForSequenceClassification"
    config = getattr(transformers, f"{prefix}Config")(**shape)
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    ours = getattr(importlib.import_module(module), head).from_pretrained(folder)
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def main() -> None:
    quick = "--quick" in sys.argv
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    rounds = 5 if quick else 15
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ARCHITECTURES:
            ours, reference = _pair(name, Path(tmp) / name)
            generator = torch.Generator().manual_seed(0)
            inputs = {
                "input_ids": torch.randint(3, 30000, (1, 16), generator=generator),
                "attention_mask": torch.ones(1, 16, dtype=torch.long),
            }
            results[name] = compare_forward(f"{name} 1x16", ours, reference, inputs, rounds, 5)
            del ours, reference
    for name, ratio in results.items():
        print(f"{name:<11} b1x16 {ratio:.2f}x")


if __name__ == "__main__":
    main()
