"""A Parquet file's footer read on the driver: its columns (name, physical and logical type) and its row count.

Why not Spark or pyarrow: Spark infers a schema with a job per call and merges what it finds; pyarrow is not on
every runtime's driver. A footer is a Thrift compact-protocol struct at the end of the file, read here with one
ranged GET (S3) or one seek (local), so a run learns every delivery file's exact schema, and which files are not
Parquet at all or were cut short, before any Spark task opens them.

Only what the job needs is decoded: FileMetaData's schema (field 2) and num_rows (field 3); everything else is
skipped by its wire type.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable

MAGIC = b"PAR1"
ENCRYPTED_MAGIC = b"PARE"
TAIL_BYTES = 64 * 1024  # what one read of a file's end fetches: a flow log's footer is a few KiB

# parquet.thrift Type and ConvertedType / LogicalType, as far as a flat table needs them.
PHYSICAL_TYPES = {
    0: "BOOLEAN",
    1: "INT32",
    2: "INT64",
    3: "INT96",
    4: "FLOAT",
    5: "DOUBLE",
    6: "BYTE_ARRAY",
    7: "FIXED_LEN_BYTE_ARRAY",
}
_STRING_CONVERTED = {0, 16, 19}  # UTF8, ENUM, JSON
_STRING_LOGICAL = {1, 4, 12}  # STRING, ENUM, JSON


class NotParquet(ValueError):
    """The bytes are not a readable Parquet footer; the message says why, in a few words."""


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    physical: str  # PHYSICAL_TYPES' names; "GROUP" for a nested column
    text: bool = False  # a BYTE_ARRAY annotated as a string (UTF8, ENUM, JSON)


@dataclasses.dataclass(frozen=True)
class Footer:
    columns: tuple[Column, ...]  # the top-level columns, in the file's order
    rows: int


# --- Thrift compact protocol ------------------------------------------------------------------------------------

_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(13)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            raise NotParquet("the footer ends early")
        value = self.data[self.at]
        self.at += 1
        return value

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise NotParquet("a malformed number in the footer")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def binary(self) -> bytes:
        size = self.varint()
        if self.at + size > len(self.data):
            raise NotParquet("the footer ends early")
        value = self.data[self.at : self.at + size]
        self.at += size
        return value

    def fields(self):
        """(field id, wire type) of a struct's fields until its stop byte; the caller reads or skips each value."""
        last = 0
        while True:
            head = self.byte()
            kind = head & 0x0F
            if kind == _STOP:
                return
            delta = head >> 4
            last = last + delta if delta else self.zigzag()
            yield last, kind

    def list_header(self) -> tuple[int, int]:
        head = self.byte()
        size = head >> 4
        if size == 15:
            size = self.varint()
        return size, head & 0x0F

    def value(self, kind: int):
        """A value of a wire type: ints and text decoded, anything else skipped (None)."""
        if kind in (_TRUE, _FALSE):
            return kind == _TRUE
        if kind == _BYTE:
            return self.byte()
        if kind in (_I16, _I32, _I64):
            return self.zigzag()
        if kind == _DOUBLE:
            self.at += 8
            return None
        if kind == _BINARY:
            return self.binary()
        if kind in (_LIST, _SET):
            size, element = self.list_header()
            for _ in range(size):
                self.byte() if element in (_TRUE, _FALSE) else self.value(element)
            return None
        if kind == _MAP:
            size = self.varint()
            if size:
                types = self.byte()
                for _ in range(size):
                    self.value(types >> 4)
                    self.value(types & 0x0F)
            return None
        if kind == _STRUCT:
            for _, inner in self.fields():
                self.value(inner)
            return None
        raise NotParquet(f"an unknown value type {kind} in the footer")


def _schema_element(reader: _Reader) -> dict:
    element: dict = {}
    for field, kind in reader.fields():
        if field == 1 and kind == _I32:
            element["type"] = reader.zigzag()
        elif field == 4 and kind == _BINARY:
            element["name"] = reader.binary().decode("utf-8", "replace")
        elif field == 5 and kind == _I32:
            element["children"] = reader.zigzag()
        elif field == 6 and kind == _I32:
            element["converted"] = reader.zigzag()
        elif field == 10 and kind == _STRUCT:
            for logical, inner in reader.fields():  # a union: the one field set names the logical type
                element["logical"] = logical
                reader.value(inner)
        else:
            reader.value(kind)
    return element


def parse_file_metadata(data: bytes) -> Footer:
    """The top-level columns and row count of a Thrift-encoded FileMetaData."""
    reader = _Reader(data)
    elements: list[dict] = []
    rows = None
    for field, kind in reader.fields():
        if field == 2 and kind == _LIST:
            size, element = reader.list_header()
            if element != _STRUCT:
                raise NotParquet("a malformed schema in the footer")
            elements = [_schema_element(reader) for _ in range(size)]
        elif field == 3 and kind == _I64:
            rows = reader.zigzag()
        else:
            reader.value(kind)
    if not elements or rows is None:
        raise NotParquet("the footer has no schema or row count")
    return Footer(_top_level(elements), rows)


def _top_level(elements: list[dict]) -> tuple[Column, ...]:
    """The root's children; a nested child is one GROUP column (its own children skipped)."""
    columns: list[Column] = []
    index, remaining = 1, elements[0].get("children", 0)
    while remaining and index < len(elements):
        element = elements[index]
        children = element.get("children", 0)
        if children:
            columns.append(Column(element.get("name", ""), "GROUP"))
            index = _skip_group(elements, index)
        else:
            physical = PHYSICAL_TYPES.get(element.get("type", -1), "UNKNOWN")
            text = physical == "BYTE_ARRAY" and (
                element.get("converted") in _STRING_CONVERTED or element.get("logical") in _STRING_LOGICAL
            )
            columns.append(Column(element.get("name", ""), physical, text))
            index += 1
        remaining -= 1
    if remaining:
        raise NotParquet("a malformed schema in the footer")
    return tuple(columns)


def _skip_group(elements: list[dict], index: int) -> int:
    """The index after a group element and all its descendants."""
    pending = 1
    while pending and index < len(elements):
        pending += elements[index].get("children", 0) - 1
        index += 1
    return index


def footer_from_tail(tail: bytes, file_size: int, read_range: Callable[[int, int], bytes]) -> Footer:
    """The footer of a file of `file_size` bytes whose last bytes are `tail`; `read_range(start, end)` fetches more
    when the footer is longer than the tail."""
    if file_size < 12 or len(tail) < 8:
        raise NotParquet("too short to be Parquet")
    if tail[-4:] == ENCRYPTED_MAGIC:
        raise NotParquet("an encrypted Parquet footer")
    if tail[-4:] != MAGIC:
        raise NotParquet("no Parquet footer (not Parquet, or cut short)")
    (length,) = struct.unpack("<I", tail[-8:-4])
    if length + 12 > file_size:
        raise NotParquet("a footer longer than the file (cut short)")
    if length + 8 > len(tail):
        tail = read_range(file_size - length - 8, file_size)
    return parse_file_metadata(tail[-8 - length : -8])


def read_local_footer(path: str) -> Footer:
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()

        def read_range(start: int, end: int) -> bytes:
            handle.seek(start)
            return handle.read(end - start)

        return footer_from_tail(tail, size, read_range)


def read_s3_footer(s3_client, bucket: str, key: str, size: int) -> Footer:
    def read_range(start: int, end: int) -> bytes:
        return s3_client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}")["Body"].read()

    tail = read_range(max(0, size - TAIL_BYTES), size) if size else b""
    return footer_from_tail(tail, size, read_range)
