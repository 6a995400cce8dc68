"""Cases, outcomes and the in-process runner.

A `Case` writes its inputs into a fresh folder (`setup`) and then calls tfx (`run`) and,
where the reference applies, `transformers` (`reference`). Outcomes:

* `ok`      it loaded or ran, and the case's own check of the result passed;
* `typed`   a `tfx_core.errors.TfxError` whose message names the problem (>= 20 characters);
* `partial` a model loaded with missing or mismatched weights without a warning or error;
* `raw`     any other exception (from inside a dependency, an assertion, ...), or a check failed;
* `hang`    no result within the case's time limit;
* `crash`   the worker process died (only the long run's subprocess workers see this);
* `unsafe`  a network attempt, a file written outside the case folder, or code executed from
            data (the marker file of a malicious input appeared).

The reference is scored with its own conventions: `clean` when it raised `OSError`,
`ValueError`, `TypeError`, `KeyError`, `EnvironmentError` or `NotImplementedError` from inside
`transformers` itself (the library noticed the problem), `raw` when the exception came from
deeper (json, safetensors, tokenizers, torch) or was of another type.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfx_fuzz.guards import Hang, NetworkAttempt, NetworkGuard, snapshot, time_limit

OUTCOMES = ("ok", "typed", "partial", "raw", "hang", "crash", "unsafe")
REFERENCE_OUTCOMES = ("ok", "clean", "raw", "hang", "crash", "unsafe")
FAILURES = ("raw", "hang", "crash", "unsafe")
MARKER_NAME = "EXECUTED"


class CheckFailed(AssertionError):
    """A case's own check of a successful result failed (e.g. wrong tokens)."""


class SilentPartialLoad(CheckFailed):
    """A model loaded with missing or mismatched weights and said nothing."""


@dataclass
class Case:
    corpus: str
    seed: int
    label: str
    setup: Callable[[Path], Any]
    run: Callable[[Path, Any], Any]
    reference: Callable[[Path, Any], Any] | None = None
    timeout: float = 20.0


@dataclass
class Result:
    corpus: str
    seed: int
    label: str
    outcome: str
    detail: str = ""
    side: str = "tfx"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _innermost_file(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


def classify_tfx(exc: BaseException) -> tuple[str, str]:
    from tfx_core.errors import TfxError

    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TfxError) and len(str(exc)) >= 20:
        return "typed", text
    where = _innermost_file(exc)
    return "raw", f"{text}  [at {where}]\n{''.join(traceback.format_exception(exc)[-6:])}"


_REFERENCE_CLEAN = (OSError, ValueError, TypeError, KeyError, NotImplementedError)


def classify_reference(exc: BaseException) -> tuple[str, str]:
    text = f"{type(exc).__name__}: {str(exc)[:300]}"
    where = _innermost_file(exc)
    inside = f"{os.sep}transformers{os.sep}" in where
    if isinstance(exc, _REFERENCE_CLEAN) and inside:
        return "clean", text
    return "raw", f"{text}  [at {where}]"


def run_case(case: Case, *, side: str = "tfx", root: Path | None = None) -> Result:
    """Run one side of `case` in a fresh sandbox under `root` and classify what happened."""
    action = case.run if side == "tfx" else case.reference
    assert action is not None
    own_root = root is None
    root = Path(tempfile.mkdtemp(prefix="tfx-fuzz-")) if own_root else root
    sandbox = root / f"{case.corpus}-{case.seed}-{side}"
    folder = sandbox / "case"
    folder.mkdir(parents=True)
    marker = sandbox / MARKER_NAME
    old_env = os.environ.get("TFX_FUZZ_MARKER")
    os.environ["TFX_FUZZ_MARKER"] = str(marker)
    cwd = Path.cwd()
    scratch = sandbox / "cwd"
    scratch.mkdir()
    os.chdir(scratch)
    outside_before = snapshot(sandbox)
    result = Result(case.corpus, case.seed, case.label, "ok", side=side)
    guard = NetworkGuard()
    try:
        prepared = case.setup(folder)
        outside_before = {p for p in snapshot(sandbox) if not p.startswith("case")}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with guard, time_limit(case.timeout):
                try:
                    action(folder, prepared)
                except SilentPartialLoad as exc:
                    result.outcome, result.detail = "partial", str(exc)
                except CheckFailed as exc:
                    result.outcome, result.detail = "raw", f"check failed: {exc}"
                except (Hang, NetworkAttempt):
                    raise
                except Exception as exc:  # classified, never hidden
                    if side == "tfx":
                        result.outcome, result.detail = classify_tfx(exc)
                    else:
                        result.outcome, result.detail = classify_reference(exc)
        result.warnings = [str(w.message)[:200] for w in caught]
    except Hang as exc:
        result.outcome, result.detail = "hang", str(exc)
    except NetworkAttempt as exc:
        result.outcome, result.detail = "unsafe", str(exc)
    except RecursionError as exc:
        result.outcome, result.detail = "raw", f"RecursionError: {exc}"
    finally:
        os.chdir(cwd)
        if old_env is None:
            os.environ.pop("TFX_FUZZ_MARKER", None)
        else:
            os.environ["TFX_FUZZ_MARKER"] = old_env
    if guard.attempts and result.outcome != "unsafe":
        result.outcome, result.detail = "unsafe", f"network attempts: {guard.attempts[:3]}"
    outside_after = {p for p in snapshot(sandbox) if not p.startswith("case")}
    if marker.exists():
        result.outcome, result.detail = "unsafe", "code from the input was executed"
    elif outside_after - outside_before:
        extra = sorted(outside_after - outside_before)[:5]
        result.outcome, result.detail = "unsafe", f"wrote outside the case folder: {extra}"
    shutil.rmtree(sandbox if not own_root else root, ignore_errors=True)
    return result


def table(results: Iterable[Result], outcomes: tuple[str, ...] = OUTCOMES) -> str:
    """Corpus x outcome counts as a Markdown table."""
    counts: dict[str, Counter] = {}
    for result in results:
        counts.setdefault(result.corpus, Counter())[result.outcome] += 1
    lines = [
        "| corpus | " + " | ".join(outcomes) + " | total |",
        "|---" * (len(outcomes) + 2) + "|",
    ]
    total: Counter = Counter()
    for corpus in sorted(counts):
        row = counts[corpus]
        total.update(row)
        cells = " | ".join(str(row.get(o, 0)) for o in outcomes)
        lines.append(f"| {corpus} | {cells} | {sum(row.values())} |")
    cells = " | ".join(str(total.get(o, 0)) for o in outcomes)
    lines.append(f"| **all** | {cells} | {sum(total.values())} |")
    return "\n".join(lines)
