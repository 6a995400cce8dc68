"""Fine-tune for summarization from local files: the counterpart of the reference's `run_summarization.py`.

Data: a CSV/JSON with document and summary columns (needs an encoder-decoder plugin; evaluation runs generate()).
Same options as `tfx train summarization` (see `--help`); the checkpoint saved in --output-dir loads
in `pipeline(...)` and in transformers. Under `torchrun --nproc_per_node N` it trains with DDP.

    python examples/train_summarization.py --model MODEL --train-file train.csv \\
        --validation-file dev.csv --output-dir out
"""

from __future__ import annotations

import argparse
import sys

from tfx_core.training import recipes

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    recipes.add_arguments(parser)
    sys.exit(recipes.run(parser.parse_args(["summarization", *sys.argv[1:]])))
