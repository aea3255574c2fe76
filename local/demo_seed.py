"""The demo data `octag up` loads into an empty stack: the Seoul escape-room catalog."""

from __future__ import annotations

from pathlib import Path

from octag import db
from octag.etl import service
from octag.etl.jobs import Job, JobSource
from octag.etl.store import collection_is_empty

CATALOG_COLLECTION = "escape_rooms"
CATALOG_FILE = Path(__file__).resolve().parent / "seed" / "seoul-themes.seed.json"


def queue_catalog_if_empty(queue_url: str) -> Job | None:
    """Queue the catalog as an ordinary ETL job for the worker (visible in `octag etl jobs`).

    Nothing is queued when the collection has documents or a job for it is still pending.
    """
    with db.connection() as conn:
        pending = conn.execute(
            "SELECT 1 FROM etl_jobs WHERE collection = %s AND status IN ('queued', 'running')",
            (CATALOG_COLLECTION,),
        ).fetchone()
        if pending or not collection_is_empty(conn, CATALOG_COLLECTION):
            return None
    source = JobSource(paths=[str(CATALOG_FILE)], format="escape-catalog")
    return service.submit_job(CATALOG_COLLECTION, source, created_by="octag up", queue_url=queue_url)
