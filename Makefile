# Every target sets itself up: a fresh clone needs only Python 3.9+ and Java 17.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENV4 ?= .venv-spark4
BIN4 := $(VENV4)/bin
SAMPLE_DIR ?= data/sample
TABLE_DIR ?= data/cloudtrail
SAMPLE_DAY ?= 2026-01-02

.PHONY: s3-jars setup setup-spark4 run run-vpcflow test test-spark35 test-spark4 lint format bench package clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

setup-spark4: $(VENV4)/.installed

$(VENV4)/.installed: pyproject.toml
	@test -x $(BIN4)/python || $(PYTHON) -m venv $(VENV4)
	$(BIN4)/python -m pip install --quiet --upgrade pip
	$(BIN4)/python -m pip install --quiet -e '.[test-spark4]'
	@touch $@

run: setup
	$(BIN)/cloudtrail-etl sample --output $(SAMPLE_DIR)
	$(BIN)/cloudtrail-etl run --input $(SAMPLE_DIR) --output $(TABLE_DIR) --date $(SAMPLE_DAY) --report data/report.json

# The same for VPC flow logs: sample files of 4 flow logs (default and custom formats), one KST day converted.
run-vpcflow: setup
	$(BIN)/cloudtrail-etl sample --source vpcflow --output $(SAMPLE_DIR)-vpcflow
	$(BIN)/cloudtrail-etl run --source vpcflow --input $(SAMPLE_DIR)-vpcflow --output data/vpcflow --date $(SAMPLE_DAY) \
		--report data/report-vpcflow.json

# The whole suite on Spark 3.5 (Glue 5.x, EMR 7), then on Spark 4.1 (Glue 6.0, EMR 8).
test: test-spark35 test-spark4

# hadoop-aws and the AWS SDK jars (from the sagemaker-pyspark sdist on PyPI), so Spark 3.5 reads s3:// from moto.
S3_JARS_DIR ?= $(VENV)/s3-jars
s3-jars: setup
	$(BIN)/python -m tests.s3_jars $(S3_JARS_DIR)

test-spark35: setup s3-jars
	CLOUDTRAIL_ETL_S3_JARS=$(S3_JARS_DIR) $(BIN)/python -m pytest -q

test-spark4: setup-spark4
	$(BIN4)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint deploy/*.yaml

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

# A timing benchmark, not a test (`make test` does not run it). Corpora are cached in benchmarks/.cache/.
# Three parts, all by default (benchmarks/results.md says how to run each): day (ours, the blog's job, the baseline
# and DuckDB at 1x and 4x), week (one range run against seven daily runs) and memory (range runs of 1, 7, 30 days).
# BENCH_ARGS overrides, e.g. "--parts day --scales 1 --runs 1" for a quick look.
BENCH_ARGS ?=
bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
