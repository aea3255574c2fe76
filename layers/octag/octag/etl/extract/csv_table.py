"""CSV with a header row, streamed: encoding detected on a sample, delimiter sniffed (else comma)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.encoding import guess_encoding
from octag.etl.extract.records import RecordBuilder, RecordFields
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import LINE_TOO_LONG, MAX_RECORD_BYTES, peek_sample, read_lines

_DELIMITERS = ",\t;|"


def extract_csv(
    source: Source, stream: io.BufferedReader, fields: RecordFields
) -> Iterator[SourceDocument | RecordError]:
    builder = RecordBuilder(source, "csv", fields)
    sample = peek_sample(stream)
    encoding = guess_encoding(sample)
    if encoding is None or encoding.startswith(("utf-16", "utf-32")):
        reason = "cannot detect the text encoding (binary file?)" if encoding is None else "a UTF-16/32 CSV"
        yield builder.error("file", f"{reason}: save it as UTF-8")
        return
    # A process-wide setting: only ever raised, up to the per-record limit (the default is 128 KiB).
    csv.field_size_limit(max(csv.field_size_limit(), MAX_RECORD_BYTES))
    bad_lines: dict[int, str] = {}
    reader = csv.reader(
        _decoded(read_lines(stream), encoding, bad_lines), delimiter=_delimiter(sample, encoding)
    )
    header = [name.strip() for name in next(reader, [])]
    problem = bad_lines.pop(1, None) or _header_problem(header, fields)
    if problem:
        yield builder.error("line 1", f"header row required: {problem}")
        return
    last_line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield builder.error(f"line {last_line + 1}", f"invalid CSV: {exc}")
            last_line = reader.line_num
            continue
        first, last_line = last_line + 1, reader.line_num
        location = f"line {first}"
        problems = [bad_lines.pop(n) for n in range(first, last_line + 1) if n in bad_lines]
        if problems:
            yield builder.error(location, problems[0])
        elif len(row) > len(header):
            yield builder.error(location, f"{len(row)} fields, the header has {len(header)}")
        elif any(cell.strip() for cell in row):  # blank lines are skipped
            yield builder.build(dict(zip(header, row, strict=False)), location, f"{source.relative}#{first}")


def _decoded(
    lines: Iterator[tuple[int, bytes | None]], encoding: str, bad_lines: dict[int, str]
) -> Iterator[str]:
    """Lines decoded one by one, so an undecodable or too long line spoils only its own record."""
    for number, line in lines:
        if line is None:
            bad_lines[number] = LINE_TOO_LONG
            yield "\n"
            continue
        try:
            yield line.decode(encoding)
        except UnicodeDecodeError as exc:
            bad_lines[number] = f"undecodable bytes at byte {exc.start + 1} of the line (read as {encoding})"
            yield line.decode(encoding, "replace")


def _delimiter(sample: bytes, encoding: str) -> str:
    try:
        return csv.Sniffer().sniff(sample.decode(encoding, "replace"), _DELIMITERS).delimiter
    except csv.Error:
        return ","


def _header_problem(header: list[str], fields: RecordFields) -> str | None:
    if not any(name.strip() for name in header):
        return "the first row is blank"
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        return f"duplicate column {', '.join(duplicates)}"
    missing = [f for f in (fields.id_field, fields.text_field) if f is not None and f not in header]
    if missing:
        return f"no column {', '.join(missing)} (columns: {', '.join(header)})"
    return None
