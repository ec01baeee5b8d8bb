"""The catalog step as part of a run, against moto's server: the report says what it did, failures exit 7."""

import pytest

from tests.aws import client, moto_endpoint, reset_moto  # noqa: F401
from tests.conftest import read_table_dir, run_cli_captured


@pytest.fixture
def glue(moto_endpoint):  # noqa: F811
    reset_moto(moto_endpoint)
    return client("glue", moto_endpoint)


def test_run_adds_the_day_to_the_catalog_table(glue, realdata, tmp_path):
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    code, report = run_cli_captured(*args, "--catalog-table", "security.cloudtrail")
    assert code == 0
    assert report["catalog"]["table_created"] is True and report["catalog"]["partition_action"] == "created"
    partitions = glue.get_partitions(DatabaseName="security", TableName="cloudtrail")["Partitions"]
    assert [p["Values"] for p in partitions] == [["20230710"]]
    assert partitions[0]["StorageDescriptor"]["Location"].rstrip("/") == str(tmp_path / "t" / "proc_ymd=20230710")

    code, again = run_cli_captured(*args, "--catalog-table", "security.cloudtrail")
    assert code == 0 and again["catalog"]["partition_action"] == "updated"
    assert len(glue.get_partitions(DatabaseName="security", TableName="cloudtrail")["Partitions"]) == 1


def test_catalog_failure_exits_7_after_the_day_was_written(glue, realdata, tmp_path, capsys):
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    code, report = run_cli_captured(*args, "--crawler", "no-such-crawler")
    assert code == 7
    assert report["status"] == "failed" and "no-such-crawler" in report["error"]
    assert len(read_table_dir(tmp_path / "t" / "proc_ymd=20230710")) == report["rows_written"] == 2900
