"""XLM and FlauBERT on the core's XLM block: tfx vs transformers in one run, as ratios.

Shapes: `xlm-mlm-enfr-1024` (1024 wide, 6 layers, 8 heads) and `flaubert_base_cased` (768,
12 layers, 12 heads) at batch 1 x 16 (latency), and a tiny config at 1 x 8 (per-call
overhead); sequence classification, same weights, `inference_mode`, rounds alternating between
the libraries (see bench/bert.py). Usage: `python bench/encoders_xlm.py [--quick]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import compare_forward

SHAPES = {
    "xlm-mlm-enfr-1024": ("xlm", dict(vocab_size=64139, emb_dim=1024, n_layers=6, n_heads=8)),
    "flaubert_base_cased": (
        "flaubert",
        dict(vocab_size=68729, emb_dim=768, n_layers=12, n_heads=12),
    ),
    "xlm tiny": ("xlm", dict(vocab_size=1000, emb_dim=32, n_layers=2, n_heads=2)),
}
PREFIX = {"xlm": "XLM", "flaubert": "Flaubert"}


def _pair(kind: str, shape: dict, folder: Path):
    import importlib

    import transformers

    head = f"{PREFIX[kind]}ForSequenceClassification"
    config = getattr(transformers, f"{PREFIX[kind]}Config")(**shape, num_labels=2)
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    module = importlib.import_module(f"tfx_plugin_{kind}.modeling_{kind}")
    ours = getattr(module, head).from_pretrained(folder).eval()
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def main() -> None:
    quick = "--quick" in sys.argv
    torch.set_num_threads(max(1, torch.get_num_threads()))
    for name, (kind, shape) in SHAPES.items():
        length = 8 if "tiny" in name else 16
        with tempfile.TemporaryDirectory() as folder:
            ours, reference = _pair(kind, shape, Path(folder))
            generator = torch.Generator().manual_seed(0)
            ids = torch.randint(5, shape["vocab_size"], (1, length), generator=generator)
            inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
            calls = 200 if "tiny" in name else 10
            compare_forward(
                f"{name} b1x{length}", ours, reference, inputs, 3 if quick else 7, calls
            )


if __name__ == "__main__":
    main()
