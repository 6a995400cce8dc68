"""The MiniLM fine-tuning demo's review set (`examples/data/sentiment_*.csv`): well formed,
balanced, no review in both files, and the counts the demo's docstring states."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _rows(name: str) -> list[dict[str, str]]:
    with open(EXAMPLES / "data" / name, newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["text", "label"]
        return list(reader)


def test_review_set_is_balanced_and_disjoint():
    train, test = _rows("sentiment_train.csv"), _rows("sentiment_test.csv")
    assert len(train) >= 300 and len(test) >= 120
    for rows in (train, test):
        counts = Counter(row["label"] for row in rows)
        assert set(counts) == {"positive", "negative"}
        assert counts["positive"] == counts["negative"]
        assert all(row["text"].strip() == row["text"] and row["text"] for row in rows)
    train_texts = [row["text"].lower() for row in train]
    test_texts = [row["text"].lower() for row in test]
    assert len(set(train_texts)) == len(train_texts)
    assert len(set(test_texts)) == len(test_texts)
    assert not set(train_texts) & set(test_texts)


def test_demo_docstring_states_the_data_sizes():
    source = (EXAMPLES / "train_minilm_sentiment.py").read_text()
    train, test = _rows("sentiment_train.csv"), _rows("sentiment_test.csv")
    assert f"{len(train)} training and {len(test)} held-out short reviews" in source
