"""Bounded reads: whole files and physical lines, each with a size limit so no input exhausts memory."""

from __future__ import annotations

import io
from collections.abc import Iterator

MIB = 1024 * 1024
MAX_RECORD_BYTES = 5 * MIB  # one JSONL or CSV line; a longer one is refused and the file goes on
MAX_FILE_BYTES = 100 * MIB  # formats read whole: JSON, Markdown, text, HTML (PDFs are read lazily)
SAMPLE_BYTES = 64 * 1024  # what encoding detection and CSV dialect sniffing look at
_CHUNK_BYTES = 256 * 1024

LINE_TOO_LONG = f"line over the {MAX_RECORD_BYTES // MIB} MiB per-record limit"


class TooLarge(ValueError):
    """A file over the size limit of the formats read whole."""


def read_whole(stream: io.BufferedReader) -> bytes:
    data = stream.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TooLarge(f"file over the {MAX_FILE_BYTES // MIB} MiB limit of this format")
    return data


def read_lines(stream: io.BufferedReader) -> Iterator[tuple[int, bytes | None]]:
    """Physical lines numbered from 1; a line over MAX_RECORD_BYTES is None (read past, never held)."""
    number = 0
    while True:
        chunks: list[bytes] = []  # `readline(limit)` would hold a long line twice while joining it
        size = 0
        while chunk := stream.readline(_CHUNK_BYTES):
            chunks.append(chunk)
            size += len(chunk)
            if chunk.endswith(b"\n") or size > MAX_RECORD_BYTES:
                break
        if not chunks:
            return
        number += 1
        complete = chunks[-1].endswith(b"\n")
        if size - complete <= MAX_RECORD_BYTES:
            yield number, chunks[0] if len(chunks) == 1 else b"".join(chunks)
            continue
        chunks.clear()
        while not complete and (chunk := stream.readline(_CHUNK_BYTES)):
            complete = chunk.endswith(b"\n")
        yield number, None


def peek_sample(stream: io.BufferedReader) -> bytes:
    """The first bytes of the stream (cut after a complete line), left unread."""
    sample = stream.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    end = sample.rfind(b"\n")
    return sample[: end + 1] if len(sample) == SAMPLE_BYTES and end >= 0 else sample
