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


def test_a_run_with_only_aws_region_set_reaches_glue_in_that_region(
    glue,
    moto_endpoint,  # noqa: F811
    realdata,
    tmp_path,
    monkeypatch,
):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "ap-northeast-2")
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    code, report = run_cli_captured(*args, "--catalog-table", "security.cloudtrail")
    assert code == 0 and report["catalog"]["partition_action"] == "created"
    seoul = client("glue", moto_endpoint, region="ap-northeast-2")
    assert [
        p["Values"] for p in seoul.get_partitions(DatabaseName="security", TableName="cloudtrail")["Partitions"]
    ] == [["20230710"]]
    assert glue.get_databases()["DatabaseList"] == []  # nothing in us-east-1


def test_region_order(monkeypatch, tmp_path):
    from cloudtrail_etl import aws

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    assert aws.resolve_region("ap-south-1") == "ap-south-1"
    assert aws.resolve_region() == "eu-west-1"
    monkeypatch.delenv("AWS_REGION")
    assert aws.resolve_region() == "us-west-2"
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    (tmp_path / "config").write_text("[default]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert aws.resolve_region() == "sa-east-1"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert aws.resolve_region() is None


def test_a_catalog_run_without_any_region_fails_before_converting(realdata, tmp_path, monkeypatch, capsys):
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    args = ["--input", str(realdata), "--output", str(tmp_path / "t"), "--date", "2023-07-10"]
    code, report = run_cli_captured(*args, "--catalog-table", "security.cloudtrail")
    assert code == 2 and report["events_read"] == 0 and not (tmp_path / "t").exists()
    assert "no AWS region: pass --region or set AWS_REGION" in capsys.readouterr().err
