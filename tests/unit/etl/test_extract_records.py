"""Record formats (JSONL, CSV, JSON): ids, text, metadata, and bad records that never stop a file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract import extract


def _run(path: Path, **options: str) -> list[SourceDocument | RecordError]:
    return list(extract([str(path)], **options))


def _lines(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def test_jsonl_broken_and_blank_lines_never_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rooms.jsonl"
    path.write_text(
        _lines({"text": "강남 공포 테마"}, '{"text": "cut', "", "   ", {"text": "홍대 추리 테마"})
    )
    first, broken, last = _run(path)
    assert isinstance(first, SourceDocument) and first.source_id == "rooms.jsonl#1"
    assert first.source_uri == f"{path}#line=1"
    assert isinstance(broken, RecordError)
    assert (broken.source_uri, broken.location, broken.source_id) == (str(path), "line 2", None)
    assert broken.reason.startswith("invalid JSON: Unterminated string")
    assert isinstance(last, SourceDocument) and (last.source_id, last.text) == (
        "rooms.jsonl#5",
        "홍대 추리 테마",
    )


def test_jsonl_id_field_refuses_missing_and_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "rooms.jsonl"
    path.write_text(
        _lines(
            {"room_id": 7, "text": "첫 번째"},
            {"text": "아이디 없음"},
            {"room_id": "", "text": "빈 아이디"},
            {"room_id": 7, "text": "중복"},
            {"room_id": 8, "text": "두 번째"},
        )
    )
    items = _run(path, id_field="room_id")
    assert [(type(i).__name__, i.source_id) for i in items] == [
        ("SourceDocument", "7"),
        ("RecordError", None),
        ("RecordError", None),
        ("RecordError", "7"),
        ("SourceDocument", "8"),
    ]
    assert [(e.location, e.reason) for e in items if isinstance(e, RecordError)] == [
        ("line 2", "missing id field room_id"),
        ("line 3", "missing id field room_id"),
        ("line 4", "duplicate id 7, first at line 1"),
    ]
    assert isinstance(items[0], SourceDocument) and items[0].metadata == {}


def test_record_text_is_the_text_field_or_a_default_and_the_rest_is_metadata(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text(
        _lines(
            # A bare NaN, as pandas writes it: PostgreSQL's jsonb would refuse it in metadata.
            '{"id": "a", "content": "본문", "body": "not used", "tags": ["공포"], "score": NaN}',
            {"id": "b", "title": "제목", "summary": "요약", "year": 2024},
            {"id": "c", "text": "   "},
        )
    )
    by_content, joined, empty = _run(path, id_field="id")
    assert isinstance(by_content, SourceDocument)
    assert by_content.text == "본문"
    assert by_content.metadata == {"body": "not used", "tags": ["공포"], "score": None}
    assert isinstance(joined, SourceDocument)
    assert (joined.text, joined.title) == ("title: 제목\nsummary: 요약", "제목")
    assert joined.metadata == {"title": "제목", "summary": "요약", "year": 2024}
    assert empty == RecordError(str(path), "line 3", "empty text", "c")

    chosen, missing, _ = _run(path, id_field="id", text_field="body")
    assert isinstance(chosen, SourceDocument) and chosen.text == "not used"
    assert "content" in chosen.metadata and "body" not in chosen.metadata
    assert missing == RecordError(str(path), "line 2", "missing text field body", "b")


def test_jsonl_line_over_the_record_limit_is_refused_without_being_held(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w") as out:
        out.write(_lines({"text": "앞"}))
        out.write('{"text": "' + "x" * (10 * 1024 * 1024) + '"}\n')
        out.write(_lines({"text": "뒤"}))
    tracemalloc.start()
    try:
        items = _run(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [type(i).__name__ for i in items] == ["SourceDocument", "RecordError", "SourceDocument"]
    assert items[1] == RecordError(str(path), "line 2", "line over the 5 MiB per-record limit")
    assert items[2].source_id == "big.jsonl#3"
    assert peak < 8 * 1024 * 1024  # the 10 MiB line was never in memory whole


def test_jsonl_line_that_is_not_utf8_is_an_error_and_a_bom_is_not(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + _lines({"text": "첫 줄"}).encode() + _lines({"text": "둘째 줄"}).encode("cp949")
    )
    first, second = _run(path)
    assert isinstance(first, SourceDocument) and first.text == "첫 줄"
    assert isinstance(second, RecordError) and second.location == "line 2"
    assert second.reason.startswith("not UTF-8")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "rooms.csv"
    rows = "id,theme,text\nr1,링 마스터,강남역 근처 공포 테마입니다. 난이도는 높은 편!\nr2,비밀의 방,홍대 추리 테마\n"
    path.write_bytes(rows.encode(encoding))
    items = _run(path, id_field="id")
    assert [(d.source_id, d.text, d.metadata) for d in items if isinstance(d, SourceDocument)] == [
        ("r1", "강남역 근처 공포 테마입니다. 난이도는 높은 편!", {"theme": "링 마스터"}),
        ("r2", "홍대 추리 테마", {"theme": "비밀의 방"}),
    ]
    assert len(items) == 2


def test_csv_delimiter_is_sniffed_and_records_are_located_by_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('title;text\n"인사";"안녕하세요"\n\n"긴 글";"첫 줄\n둘째 줄 ""인용"""\n"끝";"마지막"\n')
    items = _run(path)
    assert [(d.source_id, d.text, d.title) for d in items if isinstance(d, SourceDocument)] == [
        ("notes.csv#2", "안녕하세요", "인사"),
        ("notes.csv#4", '첫 줄\n둘째 줄 "인용"', "긴 글"),
        ("notes.csv#6", "마지막", "끝"),
    ]


def test_csv_bad_rows_never_stop_the_file(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(
        "id,text\n1,하나\n2,둘,extra\n".encode()
        + "3,셋\n".encode("cp949")
        + "1,중복\n4,\n5,다섯\n".encode()
        + b'6,"' + b"y" * (6 * 1024 * 1024) + b'"\n'
        + "7,일곱\n".encode()
    )  # fmt: skip
    items = _run(path, id_field="id")
    assert [(d.source_id, d.text) for d in items if isinstance(d, SourceDocument)] == [
        ("1", "하나"),
        ("5", "다섯"),
        ("7", "일곱"),
    ]
    errors = [(e.location, e.reason) for e in items if isinstance(e, RecordError)]
    assert errors == [
        ("line 3", "3 fields, the header has 2"),
        ("line 4", "undecodable bytes at byte 3 of the line (read as utf-8)"),
        ("line 5", "duplicate id 1, first at line 2"),
        ("line 6", "empty text"),
        ("line 8", "line over the 5 MiB per-record limit"),
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("id,text,id\n1,a,b\n", "header row required: duplicate column id"),
        ("key,body\n1,a\n", "header row required: no column id, text (columns: key, body)"),
        ("\n\n1,a\n", "header row required: the first row is blank"),
    ],
)
def test_csv_needs_a_header_row_naming_the_fields(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "table.csv"
    path.write_text(content)
    assert _run(path, id_field="id", text_field="text") == [RecordError(str(path), "line 1", reason)]


@pytest.mark.parametrize(
    "document",
    [
        [{"id": 1, "text": "하나"}, {"id": 2, "text": "둘"}],
        {"data": [{"id": 1, "text": "하나"}, {"id": 2, "text": "둘"}], "total": 2},
        {"items": [{"id": 1, "text": "하나"}, {"id": 2, "text": "둘"}]},
    ],
)
def test_json_arrays_and_wrapped_arrays_are_records(tmp_path: Path, document: object) -> None:
    path = tmp_path / "faq.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    items = _run(path)
    assert [(d.source_id, d.source_uri, d.text) for d in items if isinstance(d, SourceDocument)] == [
        ("faq.json#1", f"{path}#record=1", "하나"),
        ("faq.json#2", f"{path}#record=2", "둘"),
    ]


def test_json_single_object_is_one_document_named_by_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notice.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"title": "공지", "body": "영업시간 변경"}).encode())
    [doc] = _run(path)
    assert isinstance(doc, SourceDocument)
    assert (doc.source_id, doc.text, doc.title, doc.format) == (
        "notice.json",
        "영업시간 변경",
        "공지",
        "json",
    )


def test_json_bad_records_and_bad_files(tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text('[{"text": "ok"}, "just a string", {"text": ""}]')
    assert _run(records)[1:] == [
        RecordError(str(records), "record 2", "record is a JSON str, not an object"),
        RecordError(str(records), "record 3", "empty text", "records.json#3"),
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n{"text": "ok"},\n{"text": }\n]')
    assert _run(broken) == [
        RecordError(str(broken), "line 3", "invalid JSON: Expecting value (column 10)"),
    ]
    scalar = tmp_path / "scalar.json"
    scalar.write_text("42")
    assert _run(scalar) == [
        RecordError(str(scalar), "file", "a JSON int: expected an object or an array of objects")
    ]


def test_json_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.write(b"[")
        out.truncate(101 * 1024 * 1024)  # sparse: cheap to make, still 101 MiB to read
    assert _run(path) == [RecordError(str(path), "file", "file over the 100 MiB limit of this format")]
