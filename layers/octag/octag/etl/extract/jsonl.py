"""JSON Lines: one record a line, streamed; UTF-8 as the format requires."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.records import RecordBuilder, RecordFields
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import LINE_TOO_LONG, read_lines


def extract_jsonl(
    source: Source, stream: io.BufferedReader, fields: RecordFields
) -> Iterator[SourceDocument | RecordError]:
    builder = RecordBuilder(source, "jsonl", fields)
    for number, line in read_lines(stream):
        location = f"line {number}"
        if line is None:
            yield builder.error(location, LINE_TOO_LONG)
            continue
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield builder.error(location, f"not UTF-8 (byte {exc.start + 1} of the line)")
            continue
        if not text.strip():
            continue
        try:
            record = parse_json(text)
        except json.JSONDecodeError as exc:
            yield builder.error(location, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield builder.build(record, location, f"{source.relative}#{number}")


def parse_json(text: str | bytes) -> object:
    """JSON with NaN and Infinity read as null: metadata must stay valid JSON for PostgreSQL."""
    return json.loads(text, parse_constant=lambda _: None)
