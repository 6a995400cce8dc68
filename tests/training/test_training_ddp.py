"""A 2-process torchrun (gloo, CPU) run gives the weights of a 1-process run with the same
global batch; evaluation under DDP is gathered in dataset order without duplicates."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
# 30 examples: 15 per rank, so each rank's last micro-batch is short (uneven windows).
RUN = [
    "--head",
    "tok",
    "--examples",
    "30",
    "--accumulation",
    "2",
    "--max-steps",
    "4",
    "--save-steps",
    "100",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_process_ddp_equals_one_process(tmp_path, script_env):
    single, ddp = tmp_path / "single", tmp_path / "ddp"
    script = str(HERE / "tiny.py")
    one = subprocess.run(
        [sys.executable, script, str(single), *RUN, "--batch", "4"],
        env=script_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_addr",
            "127.0.0.1",
            "--master_port",
            str(_free_port()),
            script,
            str(ddp),
            *RUN,
            "--batch",
            "2",
            "--evaluate",
        ],
        env=script_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    from safetensors.torch import load_file

    a = load_file(single / "final" / "model.safetensors")
    b = load_file(ddp / "final" / "model.safetensors")
    assert a.keys() == b.keys()
    assert max((a[k] - b[k]).abs().max().item() for k in a) <= 1e-5
    losses = [json.loads(line)["loss"] for line in (ddp / "losses.jsonl").read_text().splitlines()]
    expected = [
        json.loads(line)["loss"] for line in (single / "losses.jsonl").read_text().splitlines()
    ]
    assert len(losses) == len(expected) == 4  # logged once (rank 0), the global window loss
    assert max(abs(x - y) for x, y in zip(losses, expected)) <= 1e-5
    # evaluation on 7 examples over 2 ranks: every example once, in dataset order
    report = json.loads((ddp / "predictions.json").read_text())
    assert report["label_rows"] == report["expected_rows"]
