"""The `make package` artifacts run through spark-submit, with an interpreter that has only the zip to import from."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BARE_PYTHON = "/usr/bin/python3"  # not the project's venv: cloudtrail_etl is importable only from --py-files


@pytest.fixture(scope="module")
def dist():
    subprocess.run(["make", "-s", "package"], cwd=ROOT, check=True, capture_output=True, timeout=600)
    return ROOT / "dist"


def spark_submit(dist, entry, args, tmp_path):
    if not os.access(BARE_PYTHON, os.X_OK):
        pytest.skip(f"{BARE_PYTHON} is needed as an interpreter without the project installed")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SPARK_HOME")}
    import pyspark

    # As on a cluster: SPARK_HOME is the Spark installation; the interpreter knows nothing of this project.
    env.update(SPARK_HOME=str(Path(pyspark.__file__).parent), PYSPARK_PYTHON=BARE_PYTHON)
    env.update(PYSPARK_DRIVER_PYTHON=BARE_PYTHON)
    spark_submit_bin = Path(sys.executable).parent / "spark-submit"
    command = [str(spark_submit_bin), "--master", "local[2]", "--py-files", str(dist / "cloudtrail_etl.zip")]
    command += ["--conf", "spark.ui.enabled=false", str(dist / entry), *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


def test_zip_and_entry_script_run_under_spark_submit(dist, tmp_path, realdata):
    assert {"cloudtrail_etl.zip", "spark_submit_job.py", "glue_job.py"} <= {p.name for p in dist.iterdir()}
    assert any(p.suffix == ".whl" for p in dist.iterdir())
    report_path = tmp_path / "report.json"
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    result = spark_submit(dist, "spark_submit_job.py", [*args, "--report", str(report_path)], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["rows_written"] == 2900 and report["status"] == "succeeded"
    assert "/cloudtrail_etl.zip/" not in result.stdout  # nothing odd printed; the report is the last line
    assert json.loads(result.stdout.strip().splitlines()[-1]) == report


def test_glue_entry_accepts_glue_arguments(dist, tmp_path, realdata):
    glue_args = ["--JOB_ID", "j_1", "--JOB_RUN_ID", "jr_1", "--JOB_NAME", "cloudtrail-etl", "--enable-metrics"]
    glue_args += ["--job-bookmark-option", "job-bookmark-disable", "--TempDir", str(tmp_path / "tmp")]
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "20230710"]
    result = spark_submit(dist, "glue_job.py", [*glue_args[:4], *args, *glue_args[4:]], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["rows_written"] == 2900
    misspelt = spark_submit(dist, "glue_job.py", [*glue_args, *args, "--regoins", "us-east-1"], tmp_path)
    assert misspelt.returncode == 2
    output = misspelt.stdout + misspelt.stderr  # spark-submit merges the driver's stderr into stdout
    assert "cloudtrail-etl: error: unknown option --regoins (did you mean --regions?)" in output
    assert "Traceback" not in output
    shutil.rmtree(tmp_path / "t", ignore_errors=True)


def test_every_package_of_the_source_tree_is_in_the_wheel():
    """pyproject.toml lists the packages one by one: a new folder of modules left out breaks every cluster run."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11's standard library

    root = Path(__file__).resolve().parents[1]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(root).parts) for init in (root / "cloudtrail_etl").rglob("__init__.py")}
    assert listed == found
