"""Installing TensorFlow changes nothing for PyTorch users: no TF import, no backend clobbering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap


def _run(script: str, **env: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_pytorch_models_import_no_tensorflow(tmp_path):
    result = _run(
        f"""
        import json, sys, torch
        from tfx_core import AutoConfig, AutoModelForMaskedLM
        config = AutoConfig.for_model("bert", vocab_size=50, hidden_size=16,
            num_hidden_layers=1, num_attention_heads=2, intermediate_size=20)
        AutoModelForMaskedLM.from_config(config).save_pretrained({str(tmp_path)!r})
        model = AutoModelForMaskedLM.from_pretrained({str(tmp_path)!r})
        model(input_ids=torch.tensor([[1, 2, 3]]))
        print(json.dumps(sorted(m for m in ("tensorflow", "keras") if m in sys.modules)))
        """
    )
    assert result == []


def test_a_users_keras_backend_choice_is_kept():
    result = _run(
        """
        import json
        from tfx_core.errors import ConfigError
        try:
            import tfx_core.modeling.keras
        except ConfigError as exc:
            print(json.dumps(str(exc)))
        """,
        KERAS_BACKEND="numpy",
    )
    assert "'numpy' backend" in result and "KERAS_BACKEND=tensorflow" in result
