"""Fine-tune for token-classification from local files: the counterpart of the reference's `run_ner.py`.

Data: JSON lines with a list of words (tokens) and one tag per word (ner_tags).
Same options as `tfx train token-classification` (see `--help`); the checkpoint saved in --output-dir loads
in `pipeline(...)` and in transformers. Under `torchrun --nproc_per_node N` it trains with DDP.

    python examples/train_token_classification.py --model MODEL --train-file train.csv \\
        --validation-file dev.csv --output-dir out
"""

from __future__ import annotations

import argparse
import sys

from tfx_core.training import recipes

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    recipes.add_arguments(parser)
    sys.exit(recipes.run(parser.parse_args(["token-classification", *sys.argv[1:]])))
