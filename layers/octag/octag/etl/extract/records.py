"""Records (JSONL lines, CSV rows, JSON objects) to documents: id, text, metadata, duplicate ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.sources import Source

DEFAULT_TEXT_FIELDS = ("text", "content", "body", "context")


@dataclass(frozen=True)
class RecordFields:
    """`--id-field` and `--text-field`: where a record's document id and text are."""

    id_field: str | None = None
    text_field: str | None = None


class RecordBuilder:
    """Builds the documents of one file's records and remembers their ids to refuse duplicates.

    Without an id field the id is the caller's default (`relative path#line`); without a text field
    the text is the first of DEFAULT_TEXT_FIELDS present, else every string field as `key: value`
    lines. The fields not used for id or text become metadata.
    """

    def __init__(self, source: Source, format: str, fields: RecordFields) -> None:
        self._source = source
        self._format = format
        self._fields = fields
        self._first_at: dict[str, str] = {}

    def error(self, location: str, reason: str, source_id: str | None = None) -> RecordError:
        return RecordError(self._source.uri, location, reason, source_id)

    def build(self, record: Any, location: str, default_id: str) -> SourceDocument | RecordError:
        if not isinstance(record, dict):
            return self.error(location, f"record is a JSON {type(record).__name__}, not an object")
        id_field, text_field = self._fields.id_field, self._fields.text_field
        if id_field is None:
            source_id = default_id
        elif record.get(id_field) in (None, ""):
            return self.error(location, f"missing id field {id_field}")
        else:
            source_id = str(record[id_field])
        if source_id in self._first_at:
            return self.error(
                location, f"duplicate id {source_id}, first at {self._first_at[source_id]}", source_id
            )
        if text_field is not None and record.get(text_field) is None:
            return self.error(location, f"missing text field {text_field}", source_id)
        used = text_field or next((f for f in DEFAULT_TEXT_FIELDS if record.get(f) is not None), None)
        if used is None:
            text = "\n".join(
                f"{key}: {value}"
                for key, value in record.items()
                if key != id_field and isinstance(value, str)
            )
        else:
            text = _as_text(record[used])
        if not text.strip():
            return self.error(location, "empty text", source_id)
        self._first_at[source_id] = location
        title = record.get("title")
        return SourceDocument(
            source_id=source_id,
            source_uri=f"{self._source.uri}#{location.replace(' ', '=')}",
            text=text,
            format=self._format,
            metadata={key: value for key, value in record.items() if key not in (id_field, used)},
            title=title if isinstance(title, str) and title.strip() and used != "title" else None,
        )


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
