"""End to end on real CloudTrail deliveries (../shared/realdata), checked against the files read independently."""

import datetime as dt
import json

import pytest

from tests.conftest import read_records, read_table_dir, run_cli_captured

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def converted(tmp_path_factory, realdata, spark):
    out = tmp_path_factory.mktemp("real") / "table"
    code, report = run_cli_captured("--input", str(realdata), "--output", str(out), "--date", "2023-07-10")
    return code, report, out


def input_records(realdata):
    return read_records(realdata.glob("AWSLogs/*/CloudTrail/*/*/*/*/*.json.gz"))


def test_every_real_event_is_written_once(converted, realdata):
    code, report, out = converted
    records = input_records(realdata)
    assert code == 0
    rows = read_table_dir(out / "proc_ymd=20230710")
    assert len(rows) == len(records) == 2900
    assert sorted(r["eventid"] for r in rows) == sorted(r["eventID"] for r in records)
    assert report["events_read"] == 2900 and report["rows_written"] == 2900
    assert report["input_files"] == 55 and report["bad_files"] == []
    assert report["duplicates_dropped"] == 0 and report["events_outside_day"] == 0
    assert report["output_files"] == len(list((out / "proc_ymd=20230710").glob("*.parquet")))
    assert report["output_bytes"] == sum(p.stat().st_size for p in (out / "proc_ymd=20230710").glob("*.parquet"))


def _instant(text):
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_field_values_match_the_input_files(converted, realdata):
    _, _, out = converted
    by_id = {r["eventid"]: r for r in read_table_dir(out / "proc_ymd=20230710")}
    for record in input_records(realdata):
        row = by_id[record["eventID"]]
        ident = record.get("userIdentity") or {}
        session = ident.get("sessionContext") or {}
        when = _instant(record["eventTime"])
        assert row["eventtime"] == when
        assert row["eventtime_kst"] == (when + dt.timedelta(hours=9)).replace(tzinfo=None)
        for column, key in [
            ("eventsource", "eventSource"),
            ("eventname", "eventName"),
            ("awsregion", "awsRegion"),
            ("sourceipaddress", "sourceIPAddress"),
            ("useragent", "userAgent"),
            ("errorcode", "errorCode"),
            ("errormessage", "errorMessage"),
            ("requestid", "requestID"),
            ("eventtype", "eventType"),
            ("eventcategory", "eventCategory"),
            ("recipientaccountid", "recipientAccountId"),
            ("sharedeventid", "sharedEventID"),
            ("vpcendpointid", "vpcEndpointId"),
            ("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
            ("readonly", "readOnly"),
            ("managementevent", "managementEvent"),
            ("eventversion", "eventVersion"),
        ]:
            assert row[column] == record.get(key), (record["eventID"], column)
        assert row["useridentity_type"] == ident.get("type")
        assert row["useridentity_arn"] == ident.get("arn")
        assert row["useridentity_invokedby"] == ident.get("invokedBy")
        assert row["useridentity_sessioncontext_sessionissuer_username"] == (session.get("sessionIssuer") or {}).get(
            "userName"
        )
        assert row["useridentity_sessioncontext_attributes_mfaauthenticated"] == (session.get("attributes") or {}).get(
            "mfaAuthenticated"
        )
        assert row["tlsdetails_tlsversion"] == (record.get("tlsDetails") or {}).get("tlsVersion")
        for column, key in [
            ("requestparameters", "requestParameters"),
            ("responseelements", "responseElements"),
            ("additionaleventdata", "additionalEventData"),
            ("serviceeventdetails", "serviceEventDetails"),
        ]:
            value = record.get(key)
            assert (json.loads(row[column]) if row[column] is not None else None) == value, (record["eventID"], key)
        resources = [
            {k.lower(): r.get(k) for k in ("ARN", "accountId", "type", "ARNPrefix")}
            for r in record.get("resources", [])
        ]
        assert (row["resources"] or []) == resources
        assert row["unmapped"] is None
