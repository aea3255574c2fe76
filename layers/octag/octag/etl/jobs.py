"""ETL jobs: what to ingest, their lifecycle, progress, heartbeat and per-document errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid4

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, field_validator

from octag.errors import InvalidInput, NotFound
from octag.etl.documents import FORMATS, RecordError
from octag.etl.store import check_collection_name

JobStatus = Literal["queued", "running", "succeeded", "partially_failed", "failed"]
STALE_AFTER_SECONDS = 120  # a running job without a heartbeat this long belongs to a dead worker


class JobSource(BaseModel):
    """What a job ingests (the body of `POST /api/etl/jobs` and the `octag etl ingest` options)."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(min_length=1, max_length=1000)
    format: str = "auto"
    id_field: str | None = None
    text_field: str | None = None
    prune: bool = False
    # Set by a retry: only these source ids (or source URIs, for file-level failures) are reprocessed.
    only: list[str] | None = None

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}")
        return value


class Job(BaseModel):
    id: UUID
    collection: str
    source: JobSource
    status: JobStatus
    documents_seen: int
    documents_loaded: int
    documents_skipped: int
    documents_failed: int
    documents_pruned: int
    chunks_loaded: int
    progress: float
    error: str | None
    attempts: int
    retry_of: UUID | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    errors: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in ("succeeded", "partially_failed", "failed")

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_COUNTERS = (
    "documents_seen",
    "documents_loaded",
    "documents_skipped",
    "documents_failed",
    "documents_pruned",
    "chunks_loaded",
)


def create_job(
    conn: Connection[Any],
    collection: str,
    source: JobSource,
    *,
    created_by: str | None = None,
    retry_of: UUID | None = None,
) -> Job:
    check_collection_name(collection)
    job_id = uuid4()
    conn.execute(
        "INSERT INTO etl_jobs (id, collection, source, created_by, retry_of) VALUES (%s, %s, %s, %s, %s)",
        (job_id, collection, Jsonb(source.model_dump()), created_by, retry_of),
    )
    return get_job(conn, job_id)


def get_job(
    conn: Connection[Any], job_id: UUID | str, *, with_errors: bool = True, error_limit: int = 100
) -> Job:
    try:
        job_id = UUID(str(job_id))
    except ValueError:
        raise NotFound("No such job.") from None
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT * FROM etl_jobs WHERE id = %s", (job_id,)).fetchone()
        if row is None:
            raise NotFound("No such job.")
        errors = (
            cur.execute(
                "SELECT source_id, source_uri, location, reason FROM etl_job_errors WHERE job_id = %s ORDER BY id LIMIT %s",
                (job_id, error_limit),
            ).fetchall()
            if with_errors
            else []
        )
    return Job(**row, errors=errors)


def list_jobs(conn: Connection[Any], *, limit: int = 50, offset: int = 0) -> list[Job]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT * FROM etl_jobs ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            (max(1, min(limit, 200)), max(0, offset)),
        ).fetchall()
    return [Job(**row) for row in rows]


def claim_job(conn: Connection[Any], job_id: UUID) -> bool:
    """Mark the job running for this worker: a queued job, or a running one whose worker died."""
    cur = conn.execute(
        """UPDATE etl_jobs SET status = 'running', attempts = attempts + 1, heartbeat_at = now(),
                  started_at = coalesce(started_at, now()), finished_at = NULL, error = NULL
           WHERE id = %s AND (status = 'queued'
                 OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => %s)))""",
        (job_id, STALE_AFTER_SECONDS),
    )
    return cur.rowcount == 1


def save_progress(conn: Connection[Any], job_id: UUID, counts: dict[str, int], progress: float) -> None:
    """Counters, progress and the heartbeat, in one statement."""
    assignments = ", ".join(f"{name} = %({name})s" for name in _COUNTERS)
    conn.execute(
        f"UPDATE etl_jobs SET {assignments}, progress = %(progress)s, heartbeat_at = now() WHERE id = %(id)s",
        {**{name: counts.get(name, 0) for name in _COUNTERS}, "progress": min(1.0, progress), "id": job_id},
    )


def record_errors(conn: Connection[Any], job_id: UUID, errors: list[RecordError]) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO etl_job_errors (job_id, source_id, source_uri, location, reason) VALUES (%s, %s, %s, %s, %s)",
            [(job_id, e.source_id, e.source_uri, e.location, e.reason[:2000]) for e in errors],
        )


def finish_job(conn: Connection[Any], job_id: UUID, status: JobStatus, error: str | None = None) -> None:
    conn.execute(
        "UPDATE etl_jobs SET status = %s, error = %s, finished_at = now(), heartbeat_at = now(),"
        " progress = CASE WHEN %s = 'failed' THEN progress ELSE 1 END WHERE id = %s",
        (status, error, status, job_id),
    )


def create_retry(conn: Connection[Any], job_id: UUID | str, *, created_by: str | None = None) -> Job:
    """A new job over the same sources that reprocesses only what failed in `job_id`."""
    job = get_job(conn, job_id, with_errors=False)
    if not job.finished:
        raise InvalidInput("Only a finished job can be retried.", code="job_not_finished")
    failed = [
        source_id or source_uri
        for source_id, source_uri in conn.execute(
            "SELECT DISTINCT source_id, source_uri FROM etl_job_errors WHERE job_id = %s", (job.id,)
        )
    ]
    if job.status == "failed" and not failed:
        only = job.source.only  # the job died as a whole: run it again as it was
    elif not failed:
        raise InvalidInput("The job has no failed documents to retry.", code="nothing_to_retry")
    else:
        only = sorted(set(failed))
    source = job.source.model_copy(update={"only": only, "prune": False})
    return create_job(conn, job.collection, source, created_by=created_by, retry_of=job.id)
