"""What extractors produce: documents to load, and per-record errors that never fail a whole job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Source formats `--format` / a job's `format` accept; `auto` goes by the file extension.
FORMATS = ("auto", "jsonl", "csv", "json", "md", "html", "pdf", "txt", "escape-catalog")


@dataclass(frozen=True)
class SourceDocument:
    """One document from a source, before cleaning and chunking.

    `source_id` is stable across runs (the `--id-field` value for records, else the file's path
    relative to the ingested root or its S3 key), so re-ingesting finds the same document.
    """

    source_id: str
    source_uri: str  # file path or s3://bucket/key, plus #line / #record where it helps
    text: str
    format: str
    metadata: dict[str, Any] = field(default_factory=dict)
    title: str | None = None


@dataclass(frozen=True)
class RecordError:
    """A record or document that could not be extracted, with where and why."""

    source_uri: str
    location: str  # e.g. "line 17", "record 3", "page 2", "field text"
    reason: str
    source_id: str | None = None
