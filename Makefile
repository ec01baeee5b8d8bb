# Every target sets itself up: a fresh clone needs only Python 3.9+ and Java 17.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE_DIR ?= data/sample
TABLE_DIR ?= data/cloudtrail
SAMPLE_DAY ?= 2026-01-02

.PHONY: setup run test lint format bench package clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

run: setup
	$(BIN)/cloudtrail-etl sample --output $(SAMPLE_DIR)
	$(BIN)/cloudtrail-etl run --input $(SAMPLE_DIR) --output $(TABLE_DIR) --date $(SAMPLE_DAY) --report data/report.json

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf data dist build *.egg-info .pytest_cache

# dist/: the wheel (--additional-python-modules), the same archive as a zip (--py-files / --extra-py-files)
# and the entry scripts for spark-submit and Glue.
package: setup
	rm -rf dist build
	$(BIN)/python -m pip wheel --quiet --no-deps --wheel-dir dist .
	cp dist/cloudtrail_etl-*.whl dist/cloudtrail_etl.zip
	cp jobs/spark_submit_job.py jobs/glue_job.py dist/
	@ls -l dist
