"""Import cost: `import tfx_core` against `import transformers` (with torch), in fresh processes.

Run: .venv/bin/python bench/import_time.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys


def import_seconds(statement: str, repeats: int = 5) -> float:
    """Median wall time of a fresh interpreter running `statement`, minus an empty interpreter."""

    def run(code: str) -> float:
        timer = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
        out = subprocess.run([sys.executable, "-c", timer], capture_output=True, text=True)
        return float(out.stdout.strip())

    return statistics.median(run(statement) for _ in range(repeats))


def main() -> None:
    ours = import_seconds("import tfx_core")
    try:
        theirs = import_seconds("import torch, transformers; transformers.AutoModel", repeats=3)
    except ValueError:
        theirs = float("nan")
    print(f"import tfx_core:            {ours * 1e3:8.1f} ms")
    print(f"import transformers+torch: {theirs * 1e3:8.1f} ms")
    print(f"ratio (tfx / reference):   {ours / theirs:8.3f}x")


if __name__ == "__main__":
    main()
