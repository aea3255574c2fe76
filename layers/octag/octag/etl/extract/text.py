"""Markdown and plain text: one document per file, its structure kept for chunking by headings."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.encoding import decode_text
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import read_whole

_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def extract_text(
    source: Source, stream: io.BufferedReader, format: str
) -> Iterator[SourceDocument | RecordError]:
    """`format` is "md" or "txt"; the title is a Markdown file's first heading, else the file name."""
    text = decode_text(read_whole(stream))
    if not text.strip():
        yield RecordError(source.uri, "file", "no text (only whitespace)")
        return
    title = markdown_title(text) if format == "md" else None
    yield SourceDocument(
        source_id=source.relative,
        source_uri=source.uri,
        text=text,
        format=format,
        metadata={"format": format},
        title=title or file_title(source),
    )


def markdown_title(text: str) -> str | None:
    """The first ATX heading (`# Title`) outside fenced code blocks."""
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := _ATX_HEADING.match(line)):
            return match.group(1).strip()
    return None


def file_title(source: Source) -> str:
    return PurePosixPath(source.name).stem or source.name
