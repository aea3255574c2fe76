"""The whole pipeline as a job (extract → chunk → tokenize → embed → load) against real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from octag import db
from octag.etl.jobs import Job, JobSource, create_job, create_retry, get_job
from octag.etl.pipeline import run_job

RECORDS = [
    {
        "id": "gangnam",
        "text": "강남에서 공포 테마를 찾는다면 미궁이 좋다. 네 명이 하기 알맞다.",
        "area": "강남",
    },
    {"id": "hongdae", "text": "홍대입구역 근처의 감성 테마는 연인에게 인기가 많다.", "area": "홍대"},
    {"id": "seongsu", "text": "성수동 카페 거리에는 추리 테마가 모여 있다.", "area": "성수"},
]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)
    )
    return path


def ingest(paths: list[Path], collection: str = "docs", **options: Any) -> Job:
    with db.connection() as conn:
        job = create_job(conn, collection, JobSource(paths=[str(p) for p in paths], **options))
    return run_job(job.id)


def stored(collection: str = "docs") -> dict[str, list[str]]:
    """Each stored document's chunk texts, by source id."""
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT d.source_id, c.text FROM documents d JOIN chunks c ON c.document_id = d.id"
            " WHERE d.collection = %s ORDER BY 1, c.ordinal",
            (collection,),
        ).fetchall()
    found: dict[str, list[str]] = {}
    for source_id, text in rows:
        found.setdefault(source_id, []).append(text)
    return found


def test_records_are_chunked_tokenized_embedded_and_loaded(octag_db, tmp_path):
    job = ingest([write_jsonl(tmp_path / "rooms.jsonl", RECORDS)], id_field="id")

    assert (job.status, job.documents_seen, job.documents_loaded, job.documents_failed) == (
        "succeeded", 3, 3, 0,
    )  # fmt: skip
    assert job.chunks_loaded >= 3 and job.progress == 1.0
    assert set(stored()) == {"gangnam", "hongdae", "seongsu"}
    with db.connection() as conn:
        tsv, dims, metadata, model = conn.execute(
            "SELECT c.tsv::text, vector_dims(c.embedding), d.metadata, k.embedding_model FROM chunks c"
            " JOIN documents d ON d.id = c.document_id JOIN collections k ON k.name = d.collection"
            " WHERE d.source_id = 'gangnam'"
        ).fetchone()
    # Particles are gone from the keyword side: "강남에서" is indexed as 강남.
    assert "'강남'" in tsv and "강남에서" not in tsv and "'공포'" in tsv
    assert dims == 512 and model.startswith("use-multilingual")
    assert metadata == {"area": "강남"}


def test_rerun_skips_unchanged_replaces_changed_and_prune_removes_the_gone(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS)
    ingest([source], id_field="id")
    changed = [{**RECORDS[0], "text": "강남 미궁은 이제 문을 닫았다."}, RECORDS[1]]
    write_jsonl(source, changed)

    job = ingest([source], id_field="id", prune=True)

    assert (job.documents_loaded, job.documents_skipped, job.documents_pruned) == (1, 1, 1)
    assert stored() == {"gangnam": ["강남 미궁은 이제 문을 닫았다."], "hongdae": [RECORDS[1]["text"]]}
    again = ingest([source], id_field="id", prune=True)
    assert (again.status, again.documents_loaded, again.documents_skipped, again.chunks_loaded) == (
        "succeeded", 0, 2, 0,
    )  # fmt: skip


def test_without_prune_documents_gone_from_the_source_stay(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS)
    ingest([source], id_field="id")
    write_jsonl(source, RECORDS[:1])
    assert ingest([source], id_field="id").documents_pruned == 0
    assert len(stored()) == 3


def test_bad_records_fail_alone_with_where_and_why_and_the_job_is_partially_failed(octag_db, tmp_path):
    rows: list[Any] = [RECORDS[0], '{"id": "broken", "text": ', {"text": "id가 없는 기록"}, RECORDS[1]]
    job = ingest([write_jsonl(tmp_path / "rooms.jsonl", rows)], id_field="id")

    assert (job.status, job.documents_loaded, job.documents_failed) == ("partially_failed", 2, 2)
    reasons = {error["location"]: error["reason"] for error in job.errors}
    assert reasons["line 2"].startswith("invalid JSON")
    assert reasons["line 3"] == "missing id field id"
    assert set(stored()) == {"gangnam", "hongdae"}


def test_a_failed_document_is_kept_by_prune(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS)
    ingest([source], id_field="id")
    write_jsonl(source, [RECORDS[0], {"id": "hongdae", "text": "   "}, RECORDS[2]])

    job = ingest([source], id_field="id", prune=True)

    assert (job.status, job.documents_failed, job.documents_pruned) == ("partially_failed", 1, 0)
    assert stored()["hongdae"] == [RECORDS[1]["text"]]  # the accepted version is not lost


def test_a_job_whose_every_document_fails_is_failed(octag_db, tmp_path):
    job = ingest([write_jsonl(tmp_path / "bad.jsonl", ["nope", "[1, 2]"])])
    assert (job.status, job.documents_failed) == ("failed", 2)


def test_a_missing_source_fails_the_job_with_a_reason(octag_db, tmp_path):
    job = ingest([tmp_path / "nowhere.jsonl"])
    assert job.status == "failed"
    assert job.error is not None and "nowhere.jsonl" in job.error


def test_retry_reprocesses_only_the_failed_documents(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", [RECORDS[0], {"id": "hongdae", "text": " "}, RECORDS[2]])
    first = ingest([source], id_field="id")
    assert first.status == "partially_failed"
    write_jsonl(source, [{**RECORDS[0], "text": "바뀌었지만 다시 읽히지 않는다."}, RECORDS[1], RECORDS[2]])

    with db.connection() as conn:
        retry = create_retry(conn, first.id)
    assert retry.retry_of == first.id and retry.source.only == ["hongdae"]
    done = run_job(retry.id)

    assert (done.status, done.documents_seen, done.documents_loaded) == ("succeeded", 1, 1)
    assert stored()["gangnam"] == [RECORDS[0]["text"]]  # not reprocessed
    assert stored()["hongdae"] == [RECORDS[1]["text"]]
    with db.connection() as conn, pytest.raises(Exception, match="no failed documents"):
        create_retry(conn, done.id)


def test_a_job_abandoned_by_a_dead_worker_is_resumed_and_skips_what_was_loaded(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS[:2])
    ingest([source], id_field="id")  # what the dead worker had loaded before it died
    write_jsonl(source, RECORDS)
    with db.connection() as conn:
        job = create_job(conn, "docs", JobSource(paths=[str(source)], id_field="id"))
        conn.execute(
            "UPDATE etl_jobs SET status = 'running', attempts = 1, started_at = now() - interval '10 minutes',"
            " heartbeat_at = now() - interval '10 minutes' WHERE id = %s",
            (job.id,),
        )

    resumed = run_job(job.id)

    assert (resumed.status, resumed.attempts) == ("succeeded", 2)
    assert (resumed.documents_skipped, resumed.documents_loaded) == (2, 1)
    assert set(stored()) == {"gangnam", "hongdae", "seongsu"}


def test_a_job_held_by_a_live_worker_or_already_finished_is_left_alone(octag_db, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS)
    with db.connection() as conn:
        job = create_job(conn, "docs", JobSource(paths=[str(source)], id_field="id"))
        conn.execute("UPDATE etl_jobs SET status = 'running', heartbeat_at = now() WHERE id = %s", (job.id,))
    assert run_job(job.id).status == "running"
    assert stored() == {}

    finished = ingest([source], id_field="id")
    again = run_job(finished.id)  # a duplicate delivery of the same message
    assert (again.status, again.attempts, again.finished_at) == ("succeeded", 1, finished.finished_at)
    with db.connection() as conn:
        assert get_job(conn, finished.id).documents_loaded == 3
