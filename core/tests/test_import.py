"""`import tfx_core` stays light: no framework, and fast."""

import json
import subprocess
import sys


def test_import_tfx_core_imports_no_framework():
    code = (
        "import sys, json, tfx_core\n"
        "print(json.dumps(sorted(m for m in ('torch', 'tensorflow', 'jax', 'flax', 'keras',"
        " 'transformers') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names_resolve_lazily():
    import tfx_core

    assert tfx_core.PretrainedConfig.__name__ == "PretrainedConfig"
    assert tfx_core.AutoConfig.__name__ == "AutoConfig"
    assert "AutoModelForCausalLM" in dir(tfx_core)
