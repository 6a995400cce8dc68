"""The long fuzz campaign (`make fuzz`): thousands of generated cases per run, in crash-isolated
worker processes, for tfx and for the reference (`transformers`) on the same inputs; then kill -9
trials during saves. Prints corpus x outcome tables and the failing cases with their seeds.

    python tests/fuzz/run.py                       # 2,100 cases, reference too, 60 kills per save
    python tests/fuzz/run.py --cases 500 --no-reference --kills 10
    python tests/fuzz/run.py --corpus config --seeds 39 41     # replay cases

Exit status 1 when tfx had a raw exception, hang, crash, unsafe outcome or silent partial load,
or a kill left a broken target.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tfx_fuzz.harness import FAILURES, OUTCOMES, REFERENCE_OUTCOMES, table  # noqa: E402
from tfx_fuzz.runner import CORPORA, run_isolated  # noqa: E402


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2100, help="tfx cases over all corpora")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="only these")
    parser.add_argument("--seeds", type=int, nargs="*", help="replay these seeds")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference run")
    parser.add_argument("--kills", type=int, default=60, help="kill trials per kind of save")
    parser.add_argument(
        "--train-kills", type=int, default=20, help="kill trials during Trainer checkpoints"
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes at once")
    parser.add_argument("--json", type=Path, help="write every result to this file")
    return parser.parse_args()


def _print_failures(results: list, outcomes: tuple[str, ...]) -> None:
    bad = [r for r in results if r.outcome in outcomes]
    for r in bad[:40]:
        first = r.detail.strip().splitlines()[0] if r.detail.strip() else ""
        print(
            f"  [{r.side} {r.corpus} seed {r.seed}] {r.label[:100]}\n      {r.outcome}: {first[:220]}"
        )
    if len(bad) > 40:
        print(f"  ... and {len(bad) - 40} more")


def main() -> int:
    args = _parse()
    corpora = args.corpus or sorted(CORPORA)
    per_corpus = max(1, args.cases // len(corpora))
    seeds = args.seeds if args.seeds else list(range(per_corpus))
    jobs = [(corpus, "tfx") for corpus in corpora]
    if not args.no_reference:
        jobs += [(corpus, "reference") for corpus in corpora]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda job: run_isolated(job[0], seeds, side=job[1]), jobs))
    results = [r for chunk in done for r in chunk]
    ours = [r for r in results if r.side == "tfx"]
    theirs = [r for r in results if r.side == "reference"]
    print(f"\n## tfx: {len(ours)} cases ({time.monotonic() - start:.0f} s)\n")
    print(table(ours, OUTCOMES))
    if theirs:
        print(f"\n## reference (transformers): {len(theirs)} cases, same inputs\n")
        print(table(theirs, REFERENCE_OUTCOMES))
        print(
            "\n(reference `clean`: OSError/ValueError/TypeError/KeyError raised by transformers "
            "itself; `raw`: an exception from a dependency or of another type)"
        )
    failing = (*FAILURES, "partial")
    print("\nFailing tfx cases:")
    _print_failures(ours, failing)

    kill_results = []
    if args.kills:
        from tfx_fuzz.kills import run_kills

        for kind in ("model", "tokenizer"):
            kill_results += run_kills(kind, range(args.kills))
    if args.train_kills:
        from tfx_fuzz.kill_training import run_training_kills

        kill_results += run_training_kills(range(args.train_kills))
    if kill_results:
        from tfx_fuzz.kills import summary

        print(f"\n## kill -9 during saves ({len(kill_results)} trials)\n")
        print(summary(kill_results))
        for r in [r for r in kill_results if r.state == "broken"][:10]:
            print(f"  [{r.kind} seed {r.seed}] {r.detail[:200]}")
    if args.json:
        payload = {
            "cases": [r.to_dict() for r in results],
            "kills": [r.__dict__ for r in kill_results],
        }
        args.json.write_text(json.dumps(payload, indent=1))
    failed = any(r.outcome in failing for r in ours) or any(
        r.state == "broken" for r in kill_results
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
