"""PDFs through pypdf's text layer: one document, with the character offset where each page starts."""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from pypdf import PdfReader

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.sources import Source
from octag.etl.extract.streams import MIB
from octag.etl.extract.text import file_title

_PAGE_SEPARATOR = "\n\n"


def extract_pdf(source: Source, stream: io.BufferedReader) -> Iterator[SourceDocument | RecordError]:
    with _seekable(stream) as file:
        try:
            reader = PdfReader(file)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ValueError("encrypted, a password is needed")
            pages = list(reader.pages)
            title = reader.metadata.title if reader.metadata else None
        except Exception as exc:  # pypdf raises many kinds on corrupt input
            yield RecordError(source.uri, "file", f"cannot read PDF: {exc}")
            return
        texts = []
        for number, page in enumerate(pages, start=1):
            try:
                texts.append(page.extract_text() or "")
            except Exception as exc:
                texts.append("")
                yield RecordError(
                    source.uri, f"page {number}", f"cannot extract text: {exc}", source.relative
                )
    if not any(text.strip() for text in texts):
        yield RecordError(source.uri, "file", "no text layer (scanned PDF?)")
        return
    offsets, position = [], 0
    for text in texts:
        offsets.append(position)
        position += len(text) + len(_PAGE_SEPARATOR)
    yield SourceDocument(
        source_id=source.relative,
        source_uri=source.uri,
        text=_PAGE_SEPARATOR.join(texts),
        format="pdf",
        metadata={"format": "pdf", "pages": len(texts), "page_offsets": offsets},
        title=title.strip() if isinstance(title, str) and title.strip() else file_title(source),
    )


@contextmanager
def _seekable(stream: io.BufferedReader) -> Iterator[IO[bytes]]:
    """pypdf seeks: a local file as it is, an S3 stream spooled (to disk past 16 MiB)."""
    if stream.seekable():
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=16 * MIB) as spool:
        shutil.copyfileobj(stream, spool, MIB)
        spool.seek(0)
        yield spool
