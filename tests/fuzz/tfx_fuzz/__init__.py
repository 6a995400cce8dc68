"""tfx's reliability fuzzer: malformed files and requests generated from seeds, each outcome
classified as correct, a typed tfx error, or a failure (raw exception, hang, crash, unsafe).

`tests/fuzz/test_*.py` run a fixed, fast slice in `make test`; `tests/fuzz/run.py` (`make fuzz`)
runs the long campaign, the reference comparison and the kill-during-save trials.
"""
