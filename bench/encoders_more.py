"""ALBERT, Megatron-BERT and RoFormer on the core blocks: tfx vs transformers in one run, as ratios.

Same protocol as bench/encoders.py (bench/bert.py's `compare_forward`: same weights,
`inference_mode`, alternating rounds): the base shape at batch 1 x 16 and a tiny config at 1 x 8,
sequence classification. ALBERT runs through the core's lean encoder path (its `lean_layout`);
Megatron-BERT (pre-norm) and RoFormer (rotary) run their modules with the fused query/key/value
product. Target (issue 18): b1x16 <= 0.8x. Usage: `python bench/encoders_more.py [--quick]`.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, TINY, compare_forward

# name -> (tfx module, class prefix, config overrides at base shape)
ARCHITECTURES = {
    "albert": (
        "tfx_plugin_albert.modeling_albert",
        "Albert",
        {"vocab_size": 30000, "embedding_size": 128, "hidden_act": "gelu_new"},
    ),
    "megatron-bert": ("tfx_plugin_megatron_bert.modeling_megatron_bert", "MegatronBert", {}),
    "roformer": ("tfx_plugin_roformer.modeling_roformer", "RoFormer", {}),
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


def _inputs(batch: int, length: int, vocab: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    return {
        "input_ids": torch.randint(3, vocab, (batch, length), generator=generator),
        "attention_mask": torch.ones(batch, length, dtype=torch.long),
        "token_type_ids": torch.zeros(batch, length, dtype=torch.long),
    }


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
            ours, reference = _pair(name, Path(tmp) / f"{name}-base", BERT_BASE)
            inputs = _inputs(1, 16, 30000)
            base = compare_forward(f"{name} base 1x16", ours, reference, inputs, rounds, calls=5)
            del ours, reference
            ours, reference = _pair(name, Path(tmp) / f"{name}-tiny", TINY)
            inputs = _inputs(1, 8, TINY["vocab_size"])
            tiny = compare_forward(f"{name} tiny 1x8", ours, reference, inputs, rounds, calls=200)
            results[name] = (base, tiny)
    for name, (base, tiny) in results.items():
        print(f"{name:<14} b1x16 {base:.2f}x (target <= 0.8x)   tiny {tiny:.2f}x")


if __name__ == "__main__":
    main()
