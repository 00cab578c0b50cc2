# Two commands on a fresh machine: `make run` and `make test`. Both create or reuse .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test lint install lock bench clean test-spark test-load test-slow

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m streamlit run streamlit_app.py --server.headless true \
		--browser.gatherUsageStats false --server.port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy workbench

test: lint
	$(BIN)/python -m pytest

# The warehouse SQL on Spark in local mode: pyspark is large, so it is not in the lock.
test-spark: $(STAMP)
	$(BIN)/uv pip install -q --python $(BIN)/python "pyspark>=4.0"
	$(BIN)/python -m pytest -m spark tests/test_spark.py

# Opt-in: 10 browser sessions moving sliders for a minute against one local server.
test-load: $(STAMP)
	WORKBENCH_LOAD_TEST=1 $(BIN)/python -m pytest tests/load -s -p no:cacheprovider

# Opt-in: a generated 200 MB CSV through the loader (progress, bounded memory).
test-slow: $(STAMP)
	WORKBENCH_SLOW_TESTS=1 $(BIN)/python -m pytest tests/test_loading.py -k 200_mb -s

# Regenerate the pinned lock from requirements.in (needs the network).
lock: $(STAMP)
	$(BIN)/uv pip compile requirements.in -o requirements.lock --python-version 3.11

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
