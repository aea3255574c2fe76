"""The extract stage: files, directories, globs and S3 objects to `SourceDocument`s, streamed.

A bad record or file never stops the others: it comes out as a `RecordError` saying where and why.
Limits: a JSONL or CSV line over 5 MiB is refused (the file goes on); JSON, Markdown, text and HTML
files are read whole, up to 100 MiB; PDFs are read page by page (from S3: spooled to a temp file).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath

from octag.etl.documents import FORMATS, RecordError, SourceDocument
from octag.etl.extract.csv_table import extract_csv
from octag.etl.extract.encoding import UndecodableText
from octag.etl.extract.html_page import extract_html
from octag.etl.extract.json_file import extract_json
from octag.etl.extract.jsonl import extract_jsonl
from octag.etl.extract.pdf import extract_pdf
from octag.etl.extract.records import RecordFields
from octag.etl.extract.sources import Source, resolve_sources
from octag.etl.extract.streams import TooLarge
from octag.etl.extract.text import extract_text

__all__ = ["FORMATS", "Source", "extract", "format_of", "resolve_sources"]

_EXTENSIONS = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".json": "json", ".md": "md", ".markdown": "md",
    ".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "txt", ".text": "txt",
}  # fmt: skip

Extracted = Iterator[SourceDocument | RecordError]


def extract(
    paths: Sequence[str | Source],
    *,
    format: str = "auto",
    id_field: str | None = None,
    text_field: str | None = None,
) -> Extracted:
    """Documents and record errors of every source, file by file; paths are resolved as they come.

    Pass `Source`s from `resolve_sources` to keep their ids relative to the root they were found under
    (a path string naming one file makes its id the file name).
    """
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    fields = RecordFields(id_field, text_field)
    for path in paths:
        for source in [path] if isinstance(path, Source) else resolve_sources([path]):
            yield from _extract_source(source, format_of(source.name) if format == "auto" else format, fields)


def format_of(name: str) -> str | None:
    """The format a file name's extension says (never escape-catalog), or None."""
    return _EXTENSIONS.get(PurePosixPath(name).suffix.lower())


def _extract_source(source: Source, format: str | None, fields: RecordFields) -> Extracted:
    if format is None:
        yield RecordError(source.uri, "file", "unknown format; pass --format")
        return
    try:
        if format == "escape-catalog":
            from octag.catalog.source import extract_catalog  # the catalog is a domain of its own

            yield from extract_catalog(source)
            return
        with source.open() as stream:
            if not stream.peek(1):
                yield RecordError(source.uri, "file", "empty file")
                return
            yield from _by_format(source, stream, format, fields)
    except (TooLarge, UndecodableText) as exc:
        yield RecordError(source.uri, "file", str(exc))
    except Exception as exc:  # an unreadable file (permissions, network, a parser bug) spoils only itself
        yield RecordError(source.uri, "file", f"cannot read: {type(exc).__name__}: {exc}")


def _by_format(source: Source, stream: io.BufferedReader, format: str, fields: RecordFields) -> Extracted:
    if format == "jsonl":
        return extract_jsonl(source, stream, fields)
    if format == "csv":
        return extract_csv(source, stream, fields)
    if format == "json":
        return extract_json(source, stream, fields)
    if format == "html":
        return extract_html(source, stream)
    if format == "pdf":
        return extract_pdf(source, stream)
    return extract_text(source, stream, format)
