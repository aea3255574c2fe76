"""The demo data `octag up` loads into an empty stack: the Seoul escape-room catalog."""

from __future__ import annotations

from pathlib import Path

from octag import db
from octag.etl.jobs import Job, JobSource, create_job
from octag.etl.pipeline import run_job
from octag.etl.store import collection_is_empty

CATALOG_COLLECTION = "escape_rooms"
CATALOG_FILE = Path(__file__).resolve().parent / "seed" / "seoul-themes.seed.json"


def seed_catalog_if_empty() -> Job | None:
    """Ingest the catalog as an ordinary ETL job (visible in `octag etl jobs`) unless already loaded."""
    with db.connection() as conn:
        if not collection_is_empty(conn, CATALOG_COLLECTION):
            return None
        job = create_job(
            conn,
            CATALOG_COLLECTION,
            JobSource(paths=[str(CATALOG_FILE)], format="escape-catalog"),
            created_by="octag up",
        )
    return run_job(job.id)
