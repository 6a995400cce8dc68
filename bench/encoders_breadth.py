"""LayoutLM, DPR, Splinter, RemBERT, SqueezeBERT and ConvBERT: tfx vs transformers, as ratios.

Same protocol as bench/encoders.py (bench/bert.py's `compare_forward`: same weights,
`inference_mode`, alternating rounds), batch 1 x 16 at each architecture's base shape (BERT's
sizes; RemBERT with its decoupled 256 / 1664 embedding widths at BERT-base depth). LayoutLM,
DPR, Splinter and RemBERT run the core's standard block (fused QKV, lean encoder path);
SqueezeBERT and ConvBERT run their own layers (plain modules, SDPA for ConvBERT's attention
half). Target (issue 18): <= 0.7x on the standard block, <= 0.8x otherwise.
Usage: `python bench/encoders_breadth.py [--quick]`.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, compare_forward

# name -> (tfx module, class, output field, base-shape overrides, uses the standard block)
ARCHITECTURES = {
    "layoutlm": ("layoutlm", "LayoutLMForSequenceClassification", "logits", {}, True),
    "dpr": ("dpr", "DPRQuestionEncoder", "pooler_output", {}, True),
    "splinter": ("splinter", "SplinterForQuestionAnswering", "start_logits", {}, True),
    "rembert": (
        "rembert",
        "RemBertForSequenceClassification",
        "logits",
        {"input_embedding_size": 256, "output_embedding_size": 1664},
        True,
    ),
    "squeezebert": ("squeezebert", "SqueezeBertForSequenceClassification", "logits", {}, False),
    "convbert": ("convbert", "ConvBertForSequenceClassification", "logits", {}, False),
}
_CONFIGS = {"layoutlm": "LayoutLM", "dpr": "DPR", "splinter": "Splinter", "rembert": "RemBert",
            "squeezebert": "SqueezeBert", "convbert": "ConvBert"}  # fmt: skip


class _Field(nn.Module):
    """Exposes one output field as `.logits` (the same thin wrapper around both libraries)."""

    def __init__(self, model: nn.Module, field: str) -> None:
        super().__init__()
        self.model, self.field = model, field

    def forward(self, **inputs):
        return SimpleNamespace(logits=getattr(self.model(**inputs), self.field))


def _pair(name: str, folder: Path):
    import transformers

    plugin, head, field, extra, _ = ARCHITECTURES[name]
    config = getattr(transformers, f"{_CONFIGS[name]}Config")(**{**BERT_BASE, **extra})
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    module = importlib.import_module(f"tfx_plugin_{plugin}.modeling_{plugin}")
    ours = getattr(module, head).from_pretrained(folder).eval()
    theirs = getattr(transformers, head).from_pretrained(folder).eval()
    return _Field(ours, field), _Field(theirs, field)


def main() -> None:
    quick = "--quick" in sys.argv
    import transformers

    transformers.logging.set_verbosity_error()
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
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
            results[name] = compare_forward(
                f"{name} base 1x16", ours, reference, inputs, rounds, calls=5
            )
            del ours, reference
    for name, ratio in results.items():
        target = 0.7 if ARCHITECTURES[name][4] else 0.8
        print(f"{name:<12} b1x16 {ratio:.2f}x (target <= {target}x)")


if __name__ == "__main__":
    main()
