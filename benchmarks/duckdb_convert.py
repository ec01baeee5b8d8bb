"""DuckDB doing the baseline's conversion of one KST day in SQL: read_json, unnest, flatten, COPY ... PARTITION_BY.

Why it exists: a single-node engine that is not Spark sets the bar our job must beat on one machine. The columns
come from the same record schema as the Spark jobs (schemas/cloudtrail_record.json), read without pyspark:
nested structs are flattened to lowercase parent_child names, payloads stay JSON text, eventTime is parsed with its
zone. No dedup, like the Spark baseline. threads=2; the memory limit is DuckDB's default.

    python benchmarks/duckdb_convert.py --input CORPUS --output OUT --date 2026-01-02
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pkgutil
import shutil

import duckdb

PAYLOADS = {
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "edgeDeviceDetails",
    "insightDetails",
}
_SCALARS = {"string": "VARCHAR", "boolean": "BOOLEAN", "timestamp": "VARCHAR"}  # eventTime: parsed in SQL


def record_fields() -> list[dict]:
    """The record schema's fields (Spark StructType JSON), read as plain JSON."""
    raw = pkgutil.get_data("cloudtrail_etl.sources.cloudtrail", "cloudtrail_record.json")
    assert raw is not None
    return json.loads(raw)["fields"]


def duckdb_type(spark_type: str | dict, name: str = "") -> str:
    """The DuckDB type for a Spark type in its JSON form; payload fields become JSON (their text is kept)."""
    if name in PAYLOADS:
        return "JSON"
    if isinstance(spark_type, str):
        return _SCALARS[spark_type]
    if spark_type["type"] == "struct":
        members = ", ".join(f'"{f["name"]}" {duckdb_type(f["type"], f["name"])}' for f in spark_type["fields"])
        return f"STRUCT({members})"
    if spark_type["type"] == "array":
        return duckdb_type(spark_type["elementType"]) + "[]"
    raise ValueError(f"unsupported type {spark_type!r}")


def records_type() -> str:
    """The type of the Records column: an array of record structs."""
    return duckdb_type({"type": "struct", "fields": record_fields()}) + "[]"


def flat_columns(fields: list[dict], prefix: str = "r") -> list[str]:
    """`r."userIdentity"."sessionContext"."sessionIssuer"."type" AS useridentity_sessioncontext_...` per leaf."""
    columns = []
    for field in fields:
        path = f'{prefix}."{field["name"]}"'
        data_type = field["type"]
        if isinstance(data_type, dict) and data_type["type"] == "struct" and field["name"] not in PAYLOADS:
            columns.extend(flat_columns(data_type["fields"], path))
        else:
            name = "_".join(part.strip('"') for part in path.split(".")[1:]).lower()
            element = data_type.get("elementType") if isinstance(data_type, dict) else None
            if isinstance(element, dict) and element["type"] == "struct":  # lowercase the element's field names
                members = ", ".join(f"'{f['name'].lower()}': x.\"{f['name']}\"" for f in element["fields"])
                columns.append(f"list_transform({path}, lambda x: {{{members}}}) AS {name}")
            else:
                columns.append(f"{path} AS {name}")
    return columns


def conversion_sql(globs: list[str], output: str, day: dt.date) -> str:
    """One COPY statement: read both folders, one row per record, the day's rows to Parquet by proc_ymd."""
    files = ", ".join(f"'{g}'" for g in globs)
    columns = ",\n        ".join(flat_columns(record_fields()))
    return f"""
COPY (
    WITH records AS (
        SELECT unnest(Records) AS r
        FROM read_json([{files}], format = 'auto', records = true, columns = {{'Records': '{records_type()}'}})
    ), events AS (
        SELECT
        {columns},
        TRY_CAST(r."eventTime" AS TIMESTAMPTZ) AT TIME ZONE 'Asia/Seoul' AS eventtime_kst
        FROM records
    )
    SELECT *, strftime(eventtime_kst, '%Y%m%d') AS proc_ymd
    FROM events
    WHERE strftime(eventtime_kst, '%Y%m%d') = '{day:%Y%m%d}'
) TO '{output}' (FORMAT parquet, PARTITION_BY (proc_ymd))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the folder holding AWSLogs/")
    parser.add_argument("--output", required=True)
    parser.add_argument("--date", required=True, help="KST day, YYYY-MM-DD")
    parser.add_argument("--print-sql", action="store_true")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    folders = [day - dt.timedelta(days=1), day]
    globs = [f"{args.input}/AWSLogs/*/CloudTrail/*/{d:%Y/%m/%d}/*.json.gz" for d in folders]
    sql = conversion_sql(globs, args.output, day)
    if args.print_sql:
        print(sql)
        return
    shutil.rmtree(args.output, ignore_errors=True)  # like mode("overwrite")
    con = duckdb.connect(config={"threads": 2})
    rows = con.execute(sql).fetchone()
    print(f"duckdb wrote {rows[0] if rows else '?'} rows of {day:%Y%m%d}")


if __name__ == "__main__":
    main()
