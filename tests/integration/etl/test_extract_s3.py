"""Extracting S3 objects and prefixes through `octag.aws` against a real moto server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local.aws_endpoint import LocalAwsEndpoint, local_client
from octag.aws import reset_clients
from octag.config import get_settings
from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract import extract, resolve_sources, sources
from tests.unit.etl.test_extract_pdf import make_pdf, text_page

REGION = "ap-northeast-2"
BUCKET = "octag-etl-sources"


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """A moto server with one bucket of sources, and `octag.aws` pointed at it."""
    with LocalAwsEndpoint() as endpoint, pytest.MonkeyPatch.context() as env:
        url = endpoint.start()
        for key, value in {
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }.items():
            env.setenv(key, value)
        get_settings.cache_clear()
        reset_clients()
        client = local_client("s3", url, REGION)
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client
        reset_clients()
        get_settings.cache_clear()


def _put(s3: Any, objects: dict[str, bytes | str]) -> None:
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)


def test_prefix_lists_every_object_with_ids_relative_to_it(s3: Any) -> None:
    _put(
        s3,
        {
            "docs/guide.md": "# 예약 안내\n\n2인 이상 예약 가능합니다.\n",
            "docs/sub/rules.txt": "이용 수칙".encode("cp949"),
            "docs/manual.pdf": make_pdf(text_page("Refunds until the day before.")),
            "docs/.hidden.md": "# hidden\n",
            "docs/folder/": b"",
            "docs-other/x.md": "# not under docs/\n",
        },
    )
    for uri in (f"s3://{BUCKET}/docs/", f"s3://{BUCKET}/docs"):
        found = resolve_sources([uri])
        assert [(s.uri, s.relative) for s in found] == [
            (f"s3://{BUCKET}/docs/guide.md", "guide.md"),
            (f"s3://{BUCKET}/docs/manual.pdf", "manual.pdf"),
            (f"s3://{BUCKET}/docs/sub/rules.txt", "sub/rules.txt"),
        ]
    docs = list(extract(resolve_sources([f"s3://{BUCKET}/docs/"])))
    assert [(d.source_id, d.source_uri, d.title) for d in docs if isinstance(d, SourceDocument)] == [
        ("guide.md", f"s3://{BUCKET}/docs/guide.md", "예약 안내"),
        ("manual.pdf", f"s3://{BUCKET}/docs/manual.pdf", "manual"),
        ("sub/rules.txt", f"s3://{BUCKET}/docs/sub/rules.txt", "rules"),
    ]
    assert docs[1].text == "Refunds until the day before."  # spooled: pypdf needs to seek
    assert docs[2].text == "이용 수칙"


def test_key_is_streamed_by_line_with_the_record_limit(s3: Any) -> None:
    lines = [
        json.dumps({"id": "r1", "text": "강남 공포 테마"}, ensure_ascii=False),
        '{"id": "r2", "text": "' + "x" * (6 * 1024 * 1024) + '"}',
        "{broken",
        json.dumps({"id": "r1", "text": "중복"}, ensure_ascii=False),
        json.dumps({"id": "r3", "text": "홍대 추리 테마"}, ensure_ascii=False),
    ]
    uri = f"s3://{BUCKET}/data/rooms.jsonl"
    _put(s3, {"data/rooms.jsonl": "\n".join(lines)})  # no newline at the end
    items = list(extract([uri], id_field="id"))
    assert [(d.source_id, d.source_uri, d.text) for d in items if isinstance(d, SourceDocument)] == [
        ("r1", f"{uri}#line=1", "강남 공포 테마"),
        ("r3", f"{uri}#line=5", "홍대 추리 테마"),
    ]
    assert [(e.location, e.reason[:25]) for e in items if isinstance(e, RecordError)] == [
        ("line 2", "line over the 5 MiB per-r"),
        ("line 3", "invalid JSON: Expecting p"),
        ("line 4", "duplicate id r1, first at"),
    ]
    [source] = resolve_sources([uri])
    assert source.relative == "data/rooms.jsonl"  # a key named alone: the whole key


def test_prefix_listing_follows_pages(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "LIST_PAGE_SIZE", 2)  # 1000 in use: as many objects would be slow here
    keys = [f"many/{i}.txt" for i in range(5)]
    _put(s3, dict.fromkeys(keys, "x"))
    assert [s.relative for s in resolve_sources([f"s3://{BUCKET}/many/"])] == [
        k.removeprefix("many/") for k in keys
    ]


def test_missing_keys_prefixes_and_buckets_are_errors_naming_them(s3: Any) -> None:
    with pytest.raises(FileNotFoundError, match=f"no objects at s3://{BUCKET}/nothing/here.md"):
        resolve_sources([f"s3://{BUCKET}/nothing/here.md"])
    with pytest.raises(FileNotFoundError, match="no such bucket: s3://no-such-bucket/x/"):
        resolve_sources(["s3://no-such-bucket/x/"])
    with pytest.raises(ValueError, match="not an s3://bucket/key URI"):
        resolve_sources(["s3:///key"])


def test_object_gone_after_listing_is_an_error_for_its_file_only(s3: Any) -> None:
    _put(s3, {"gone/a.md": "# A\n", "gone/b.md": "# B\n"})
    found = resolve_sources([f"s3://{BUCKET}/gone/"])
    s3.delete_object(Bucket=BUCKET, Key="gone/a.md")
    missing, present = list(extract(found))
    assert isinstance(missing, RecordError) and missing.location == "file"
    assert missing.reason.startswith("cannot read: NoSuchKey")
    assert isinstance(present, SourceDocument) and present.source_id == "b.md"
