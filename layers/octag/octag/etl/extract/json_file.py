"""JSON files read whole: an array of records, {"data"|"records"|"items": [...]}, or one record."""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterator

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.jsonl import parse_json
from octag.etl.extract.records import RecordBuilder, RecordFields
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import read_whole

_RECORD_LISTS = ("data", "records", "items")


def extract_json(
    source: Source, stream: io.BufferedReader, fields: RecordFields
) -> Iterator[SourceDocument | RecordError]:
    builder = RecordBuilder(source, "json", fields)
    data = read_whole(stream).removeprefix(codecs.BOM_UTF8)
    try:
        parsed = parse_json(data)  # bytes: UTF-8, UTF-16 or UTF-32 as RFC 8259 allows
    except json.JSONDecodeError as exc:
        yield builder.error(f"line {exc.lineno}", f"invalid JSON: {exc.msg} (column {exc.colno})")
        return
    except UnicodeDecodeError as exc:
        yield builder.error("file", f"not UTF-8 (byte {exc.start + 1})")
        return
    if isinstance(parsed, dict):
        records = next((parsed[k] for k in _RECORD_LISTS if isinstance(parsed.get(k), list)), None)
        if records is None:
            yield builder.build(parsed, "record 1", source.relative)
            return
        parsed = records
    if not isinstance(parsed, list):
        yield builder.error(
            "file", f"a JSON {type(parsed).__name__}: expected an object or an array of objects"
        )
        return
    for number, record in enumerate(parsed, start=1):
        yield builder.build(record, f"record {number}", f"{source.relative}#{number}")
