"""VPC flow logs delivered as Parquet (`FileFormat parquet`): one file per delivery, its columns the flow log's
fields with `_` for `-`, typed by AWS (INT32 version, ports, protocol, tcp-flags, traffic-path; INT64 packets, bytes,
start, end; strings otherwise), in the same folders and with the same names as the text files but `.log.parquet`.

Every file's footer is read on the driver before Spark opens any (parquet_footer.py: one ranged GET per file on
S3). That gives each file's exact columns, so files are grouped by schema and each group is read with its own, never
a merged guess; and it finds the files that are not Parquet, were cut short, or hold a column the table cannot type
(a string `srcport`), which are bad files like an unreadable gzip: named, and their days kept unless
--skip-bad-files. Rows become the same records as the text's: the table's types whatever the file's physical ones
(INT32 `protocol` becomes bigint), `-` or null for a value that does not apply, fields this project does not know in
`unmapped` (keyed by their field names, with `-`, as in a text header), and for the quarantine the values as the text
line AWS would have written.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import re
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    BooleanType,
    DataType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    StringType,
    StructField,
    StructType,
)

from cloudtrail_etl.discovery import DayInput, InputFile, is_s3
from cloudtrail_etl.parquet_footer import Footer, NotParquet, read_local_footer, read_s3_footer
from cloudtrail_etl.sources.vpcflow import (
    DELIVERY_TIME_IN_NAME,
    FLOW_LOG_ID_IN_NAME,
    PARQUET_SUFFIX,
    UNMAPPED,
    column_name,
    file_columns,
    known_fields,
    placed,
)
from cloudtrail_etl.transform import QUARANTINE_REASON, RECORD_INDEX, RECORD_TEXT, SOURCE_FILE

FOOTER_THREADS = 32
REASON_DOES_NOT_FIT = "{field} does not fit the table's {kind}"

# Spark types to read each physical type as (the table's types come after, by casts that cannot fail).
_READ_AS: dict[str, DataType] = {
    "INT32": IntegerType(),
    "INT64": LongType(),
    "BYTE_ARRAY": StringType(),
    "BOOLEAN": BooleanType(),
    "FLOAT": FloatType(),
    "DOUBLE": DoubleType(),
}
_INTEGERS = ("INT32", "INT64")
_FOR_STRING = ("BYTE_ARRAY", "INT32", "INT64", "BOOLEAN")  # physical types a string field takes as text


@dataclasses.dataclass(frozen=True)
class SchemaGroup:
    """Files with the same columns (names and physical types, in order): one Spark read."""

    columns: tuple[tuple[str, str], ...]  # (column name in the file, physical type)
    files: tuple[InputFile, ...]


@dataclasses.dataclass(frozen=True)
class ParquetInput:
    groups: tuple[SchemaGroup, ...]
    bad: tuple[tuple[str, str], ...]  # (uri, why it cannot be read)
    empty: tuple[str, ...] = ()  # zero-byte files: not inspected, the run reports them

    @property
    def read(self) -> tuple[str, ...]:
        return tuple(f.uri for g in self.groups for f in g.files)


def kinds() -> dict[str, str]:
    """The table type of every known field."""
    return {name: kind for name, kind, _, _ in known_fields()}


def field_of(column: str) -> str:
    """A file column's flow log field: AWS writes `-` as `_` in Parquet column names; no field name has a `_`."""
    return column.replace("_", "-")


def unusable_column(column: str, physical: str, kind: str | None) -> str | None:
    """Why a column cannot be typed as the table's `kind` (None: a field this project does not know), or None."""
    field = field_of(column)
    if physical == "GROUP":
        return f"column {column} is nested"
    if kind in ("int", "bigint") and physical not in _INTEGERS:
        return f"column {column} is {physical}, not an integer: the table's {field} is {kind}"
    if kind == "string" and physical not in _FOR_STRING:
        return f"column {column} is {physical}: the table's {field} is text"
    if kind is None and physical not in _READ_AS:
        return f"column {column} is {physical}"
    return None


def _footer(f: InputFile, s3_client) -> Footer:
    if is_s3(f.uri):
        bucket, _, key = f.uri.split("://", 1)[1].partition("/")
        return read_s3_footer(s3_client, bucket, key, f.size)
    return read_local_footer(f.uri.removeprefix("file:"))


def inspect(files: Sequence[InputFile], s3_client=None) -> ParquetInput:
    """Read every file's footer (FOOTER_THREADS at a time) and group the usable files by schema. Zero-byte files
    are the run's to report, not inspected here."""
    table_kinds = kinds()
    if s3_client is None and any(is_s3(f.uri) for f in files):
        import boto3  # one client for every thread (boto3 clients are thread-safe)

        s3_client = boto3.client("s3")

    def one(f: InputFile) -> tuple[InputFile, Footer | None, str | None]:
        try:
            return f, _footer(f, s3_client), None
        except NotParquet as exc:
            return f, None, f"not a readable Parquet file: {exc}"
        except Exception as exc:  # gone since the listing, access denied, ...
            return f, None, f"cannot be read: {str(exc).splitlines()[0][:200]}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=FOOTER_THREADS) as pool:
        found = list(pool.map(one, [f for f in files if f.size > 0]))
    groups: dict[tuple[tuple[str, str], ...], list[InputFile]] = {}
    bad: list[tuple[str, str]] = []
    for f, footer, problem in found:
        if footer is not None:
            columns = tuple((c.name, c.physical) for c in footer.columns)
            fields = [field_of(name) for name, _ in columns]
            problems = [unusable_column(name, physical, table_kinds.get(field_of(name))) for name, physical in columns]
            problem = next((p for p in problems if p), None)
            if problem is None and len(set(fields)) < len(fields):
                problem = "two columns name the same field"
        if problem is not None:
            bad.append((f.uri, problem))
        else:
            groups.setdefault(columns, []).append(f)
    empty = tuple(f.uri for f in files if f.size == 0)
    return ParquetInput(tuple(SchemaGroup(c, tuple(fs)) for c, fs in groups.items()), tuple(bad), empty)


def read_groups(
    spark: SparkSession, parquet: ParquetInput, folders: Sequence[str], delivered_since: str
) -> list[tuple[SchemaGroup, DataFrame]]:
    """Each schema group's rows as the files hold them, with SOURCE_FILE.

    A flow log whose files all fall in one group is read by its folders and a file-name glob of its id, as the text
    is (Spark lists a few folders, not thousands of files); files of any other flow log are named one by one."""
    named = re.compile(FLOW_LOG_ID_IN_NAME)

    def flow_log_of(uri: str) -> str:
        match = named.search(uri.rsplit("/", 1)[-1])
        return match.group(1) if match else ""

    # Where each flow log's files went: a flow log is read by folder only when all its files are in one group and
    # in folders of their own (not one of the files given one by one), and none of them is bad or empty.
    groups_of: dict[str, set[int]] = {}
    folder_set = set(folders)
    flow_log_by_uri: dict[str, str] = {}
    for index, group in enumerate(parquet.groups):
        for f in group.files:
            flow_log = flow_log_by_uri[f.uri] = flow_log_of(f.uri)
            groups_of.setdefault(flow_log, set()).add(index if f.uri.rsplit("/", 1)[0] in folder_set else -1)
    for uri in [uri for uri, _ in parquet.bad] + list(parquet.empty):
        groups_of.setdefault(flow_log_of(uri), set()).add(-1)
    read = []
    for index, group in enumerate(parquet.groups):
        by_folder = {flow_log for flow_log, found in groups_of.items() if flow_log and found == {index}}
        in_group = [(f, flow_log_by_uri[f.uri]) for f in group.files]
        schema = StructType([StructField(name, _READ_AS[physical], True) for name, physical in group.columns])
        parts = []
        if by_folder:
            paths = sorted({f.uri.rsplit("/", 1)[0] for f, flow_log in in_group if flow_log in by_folder})
            glob = "*_{" + ",".join(sorted(by_folder)) + "}_*" + PARQUET_SUFFIX
            rows = spark.read.schema(schema).option("pathGlobFilter", glob).parquet(*paths)
            if delivered_since:
                made = F.regexp_extract(F.col("_metadata.file_name"), DELIVERY_TIME_IN_NAME, 1)
                rows = rows.filter((made == "") | (made >= F.lit(delivered_since)))
            parts.append(rows)
        one_by_one = [f.uri for f, flow_log in in_group if flow_log not in by_folder]
        if one_by_one:
            parts.append(spark.read.schema(schema).parquet(*one_by_one))
        for rows in parts:
            read.append((group, rows.select("*", F.col("_metadata.file_path").alias(SOURCE_FILE))))
    return read


def typed_columns(columns: Sequence[tuple[str, str]]) -> tuple[list[Column], Column, Column, Column]:
    """For one schema: every known field as its table type (null where the file lacks it), the reason a row cannot
    be typed (a value too large for the table's type), `unmapped` (unknown fields as text) and the row as text.
    Pure."""
    present = {field_of(name): (name, physical) for name, physical in columns}
    typed, reason = [], F.lit(None).cast("string")
    table_kinds = kinds()
    for field, kind in table_kinds.items():
        target = column_name(field)
        if field not in present:
            typed.append(F.lit(None).cast(kind).alias(target))
            continue
        name, physical = present[field]
        value = F.col(f"`{name}`")
        if kind == "string":
            text = value if physical == "BYTE_ARRAY" else value.cast("string")
            typed.append(F.when(text != "-", text).alias(target))
        elif kind == "int" and physical == "INT64":
            fits = value.between(-(2**31), 2**31 - 1)
            typed.append(F.when(fits, value.cast("int")).alias(target))
            reason = F.coalesce(
                reason, F.when(value.isNotNull() & ~fits, F.lit(REASON_DOES_NOT_FIT.format(field=field, kind=kind)))
            )
        else:
            typed.append(value.cast(kind).alias(target))
    unknown = [(field_of(name), F.col(f"`{name}`")) for name, _ in columns if field_of(name) not in table_kinds]
    unmapped = (
        F.create_map(*[part for field, value in unknown for part in (F.lit(field), _as_text(value))])
        if unknown
        else F.lit(None).cast(MapType(StringType(), StringType()))
    )
    text = F.concat_ws(" ", *[_as_text(F.col(f"`{name}`")) for name, _ in columns])
    return typed, reason, unmapped, text


def _as_text(value: Column) -> Column:
    """A value as a text line shows it: `-` where there is none."""
    return F.coalesce(value.cast("string"), F.lit("-"))


def parquet_records(
    spark: SparkSession, parquet: ParquetInput, run_input: DayInput, exact_text: bool = False
) -> DataFrame | None:
    """The records of the usable Parquet files, with the columns of the text's records (union by name); None when
    there is none. `exact_text`: each record's row number in its file (RECORD_INDEX), for the quarantine."""
    parts = []
    for group, rows in read_groups(spark, parquet, run_input.folders, run_input.delivered_since):
        typed, reason, unmapped, text = typed_columns(group.columns)
        index = (F.col("_metadata.row_index") + 1).cast("int") if exact_text else F.lit(None).cast("int")
        checked = rows.select(
            SOURCE_FILE,
            index.alias(RECORD_INDEX),
            text.alias(RECORD_TEXT),
            *file_columns(F.col(SOURCE_FILE)),
            unmapped.alias(UNMAPPED),
            reason.alias(QUARANTINE_REASON),
            *typed,
        )
        parts.append(placed(checked))
    if not parts:
        return None
    records = parts[0]
    for part in parts[1:]:
        records = records.unionByName(part)
    return records
