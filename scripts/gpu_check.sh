#!/usr/bin/env bash
# The CUDA checks (tests/test_cuda.py and the GPT-2 plugin's CUDA test) on a bare GPU machine,
# offline, in a few minutes. See docs/gpu.md.
#
# Needs: python3 with torch (CUDA build), safetensors, tokenizers, numpy, pillow, pluggy, jinja2,
# sentencepiece, accelerate, pytest; and `.whl/` in the repository root holding the reference
# `transformers==4.57.6` and what it needs beyond such an environment (docs/gpu.md has the
# `pip download` commands). Nothing is installed into python3's own site-packages: the wheels
# go to $SITE and our packages are used from their `src` folders (scripts/offline_site.py).
#
#   OUT=/some/dir scripts/gpu_check.sh [extra pytest arguments]
#
# Writes $OUT/gpu_check.log (everything), $OUT/pytest.log, $OUT/junit.xml, $OUT/env.txt and
# $OUT/gpu_report.jsonl (differences and peak memory measured by each test).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
OUT="${OUT:-/tmp/gpu_check_out}"
SITE="${SITE:-/tmp/site}"
WHEELS="${WHEELS:-$ROOT/.whl}"
TEST_TIMEOUT="${TEST_TIMEOUT:-270}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
cd "$ROOT" || exit 1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start))s] $*"; }

step "environment"
{
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
    "$PY" -c 'import sys, torch; print(sys.version); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())'
} | tee "$OUT/env.txt"

step "reference wheels from $WHEELS into $SITE"
shopt -s nullglob
wheels=("$WHEELS"/*.whl)
if ((${#wheels[@]} == 0)); then
    echo "no wheels in $WHEELS: see docs/gpu.md for the pip download commands" >&2
    exit 2
fi
rm -rf "$SITE" && mkdir -p "$SITE"
# A wheel without a .data folder installs by unpacking (pip --target: the same files, 7x slower).
for wheel in "${wheels[@]}"; do "$PY" -m zipfile -e "$wheel" "$SITE" || exit 2; done
if compgen -G "$SITE/*.data" >/dev/null; then
    echo "a wheel has a .data folder: installing with pip instead"
    rm -rf "$SITE" && mkdir -p "$SITE"
    "$PY" -m pip install -q --disable-pip-version-check --no-compile --no-index --no-deps \
        --target "$SITE" "${wheels[@]}" || exit 2
fi

step "our packages (dist-info for entry points, src folders on the path)"
paths="$("$PY" scripts/offline_site.py "$SITE")" || exit 2
export PYTHONPATH="$paths${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 USE_TF=0 USE_FLAX=0 TOKENIZERS_PARALLELISM=false
export TFX_GPU_REPORT="$OUT/gpu_report.jsonl"
rm -f "$TFX_GPU_REPORT"
"$PY" - <<'EOF' | tee -a "$OUT/env.txt" || exit 2
import importlib.metadata as md
import transformers, huggingface_hub, tokenizers, tfx_core
from tfx_core import get_registry
assert transformers.__version__.startswith("4.57."), transformers.__file__
print("transformers", transformers.__version__, transformers.__file__)
print("huggingface_hub", huggingface_hub.__version__, "tokenizers", tokenizers.__version__)
print("tfx_core", tfx_core.__file__)
plugins = get_registry().plugins()
failed = [p for p in plugins if p.status != "loaded"]
print(len(plugins), "tfx plugins;", "not loaded:", [(p.name, p.error) for p in failed])
print("pytest11:", [e.name for e in md.entry_points(group="pytest11")])
EOF

step "pytest (limit ${TEST_TIMEOUT}s)"
timeout "$TEST_TIMEOUT" "$PY" -m pytest -p no:cacheprovider -v -rfEsx --durations=15 \
    --junitxml="$OUT/junit.xml" tests/test_cuda.py plugins/gpt2/tests -k cuda "$@" \
    2>&1 | tee "$OUT/pytest.log"
status=${PIPESTATUS[0]}
step "done: pytest exit status $status"
[[ -f "$TFX_GPU_REPORT" ]] && cat "$TFX_GPU_REPORT"
exit "$status"
