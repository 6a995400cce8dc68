"""BERT, RoBERTa and DistilBERT on the core blocks: tfx vs transformers in one run, as ratios.

Each architecture gets no speed code of its own: the core's fused projections, lean encoder
path and `Linear` serve all three. For each: the base shape at batch 1 x 16 (latency) and a tiny
config at 1 x 8 (per-call overhead), sequence classification, same weights, `inference_mode`,
rounds alternating between the libraries (see bench/bert.py). Targets (issue 11): b1x16 <= 0.7x,
tiny <= 0.5x. Usage: `python bench/encoders.py [--quick]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bert import BERT_BASE, TINY, compare_forward

# name -> (tfx module, class prefix, config overrides); the shapes are BERT's
ARCHITECTURES = {
    "bert": ("tfx_plugin_bert.modeling_bert", "Bert", {}),
    "roberta": ("tfx_plugin_roberta.modeling_roberta", "Roberta", {"pad_token_id": 1}),
    "distilbert": ("tfx_plugin_distilbert.modeling_distilbert", "DistilBert", {}),
}
_DISTIL_NAMES = {
    "hidden_size": "dim",
    "num_hidden_layers": "n_layers",
    "num_attention_heads": "n_heads",
    "intermediate_size": "hidden_dim",
}


def _shape(name: str, shape: dict, extra: dict) -> dict:
    shape = {**shape, **extra}
    if name == "distilbert":
        shape = {_DISTIL_NAMES.get(key, key): value for key, value in shape.items()}
        shape["n_layers"] = max(1, shape["n_layers"] // 2)  # distilbert-base: 6 layers
    if name == "roberta":
        shape["max_position_embeddings"] += 2
    return shape


def _pair(name: str, folder: Path, shape: dict):
    import importlib

    import transformers

    module, prefix, extra = ARCHITECTURES[name]
    head = f"{prefix}ForSequenceClassification"
    config = getattr(transformers, f"{prefix}Config")(**_shape(name, shape, extra))
    torch.manual_seed(0)
    getattr(transformers, head)(config).save_pretrained(folder)
    ours = getattr(importlib.import_module(module), head).from_pretrained(folder)
    return ours, getattr(transformers, head).from_pretrained(folder).eval()


def _inputs(name: str, batch: int, length: int, vocab: int) -> dict:
    generator = torch.Generator().manual_seed(0)
    inputs = {
        "input_ids": torch.randint(3, vocab, (batch, length), generator=generator),
        "attention_mask": torch.ones(batch, length, dtype=torch.long),
    }
    if name != "distilbert":
        inputs["token_type_ids"] = torch.zeros(batch, length, dtype=torch.long)
    return inputs


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
            inputs = _inputs(name, 1, 16, BERT_BASE["vocab_size"])
            base = compare_forward(f"{name} base 1x16", ours, reference, inputs, rounds, calls=5)
            del ours, reference
            ours, reference = _pair(name, Path(tmp) / f"{name}-tiny", TINY)
            inputs = _inputs(name, 1, 8, TINY["vocab_size"])
            tiny = compare_forward(f"{name} tiny 1x8", ours, reference, inputs, rounds, calls=200)
            results[name] = (base, tiny)
    for name, (base, tiny) in results.items():
        print(f"{name:<11} b1x16 {base:.2f}x (target <= 0.7x)   tiny {tiny:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
