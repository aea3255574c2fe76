"""`octag etl ingest|jobs|status`: the ETL pipeline in-process, with a progress bar."""

from __future__ import annotations

import json
import sys
from typing import Any
from uuid import UUID

import click

from octag import db
from octag.cli import cli, database_command
from octag.etl.documents import FORMATS


@cli.group()
def etl() -> None:
    """Load documents into collections."""


@etl.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--collection", required=True, help="Collection to load into (created if new).")
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(FORMATS),
)
@click.option("--id-field", help="Record field holding the document id (JSONL/CSV/JSON).")
@click.option("--text-field", help="Record field holding the text (JSONL/CSV/JSON).")
@click.option(
    "--prune", is_flag=True, help="Delete documents of the collection that are gone from the source."
)
def ingest(
    paths: tuple[str, ...],
    collection: str,
    fmt: str,
    id_field: str | None,
    text_field: str | None,
    prune: bool,
) -> None:
    """Ingest files, directories, globs or s3:// URIs. Exit 1 if the job failed, 2 if some documents did."""
    from octag.etl.jobs import JobSource, create_job

    with database_command():
        source = JobSource(
            paths=list(paths), format=fmt, id_field=id_field, text_field=text_field, prune=prune
        )
        with db.connection() as conn:
            job = create_job(conn, collection, source, created_by="cli")
        _run_here(job.id)


@etl.command()
@click.argument("job_id")
def resume(job_id: str) -> None:
    """Run a queued job, or one whose worker died, to the end here; what it loaded is skipped."""
    from octag.etl.jobs import STALE_AFTER_SECONDS, get_job

    with database_command():
        with db.connection() as conn:
            job = get_job(conn, job_id, with_errors=False)
        if job.finished:
            raise click.ClickException(
                f"Job {job.id} is {job.status}; `octag etl retry` reruns its failures."
            )
        _run_here(
            job.id,
            f"Job {job.id} is running in a live worker (its heartbeat is under {STALE_AFTER_SECONDS} s old).",
        )


@etl.command()
@click.argument("job_id")
def retry(job_id: str) -> None:
    """A new job, run here, over only the documents that failed in JOB_ID."""
    from octag.etl.jobs import create_retry

    with database_command():
        with db.connection() as conn:
            job = create_retry(conn, job_id, created_by="cli")
        _run_here(job.id)


def _run_here(job_id: UUID, held_message: str = "") -> None:
    """Run the job in this process with a progress bar, print its summary, exit 1 if it failed, 2 if
    some documents did."""
    from octag.etl.pipeline import run_job

    with click.progressbar(
        length=1000, label="ingesting", show_pos=False, file=sys.stderr, item_show_func=_describe_counts
    ) as bar:
        shown = 0

        def progress(counts: dict[str, int], fraction: float) -> None:
            nonlocal shown
            step = max(0, int(fraction * 1000) - shown)
            bar.update(step, counts)
            shown += step

        job = run_job(job_id, on_progress=progress)
    if job.status == "running":
        raise click.ClickException(held_message or f"Job {job.id} is held by another worker.")
    _summary(job.public())
    if job.status != "succeeded":
        raise SystemExit(1 if job.status == "failed" else 2)


def _describe_counts(counts: dict[str, int] | None) -> str | None:
    if counts is None:
        return None
    return (
        f"{counts.get('documents_loaded', 0)} loaded, {counts.get('documents_skipped', 0)} unchanged, "
        f"{counts.get('documents_failed', 0)} failed"
    )


def _summary(job: dict[str, Any]) -> None:
    click.echo(
        f"Job {job['id']} {job['status']}: {job['documents_seen']} documents seen, "
        f"{job['documents_loaded']} loaded, {job['documents_skipped']} unchanged, "
        f"{job['documents_failed']} failed, {job['documents_pruned']} pruned, {job['chunks_loaded']} chunks."
    )
    if job.get("error"):
        click.echo(f"  error: {job['error']}")
    for error in job.get("errors", [])[:20]:
        click.echo(f"  {error['source_uri']} ({error['location']}): {error['reason']}")
    if len(job.get("errors", [])) > 20:
        click.echo(f"  ... see `octag etl status {job['id']}` for all errors")


@etl.command("jobs")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def list_jobs(limit: int, as_json: bool) -> None:
    """Recent jobs."""
    from octag.etl.jobs import list_jobs as list_all

    with database_command(), db.connection() as conn:
        found = [job.public() for job in list_all(conn, limit=limit)]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for job in found:
        click.echo(
            f"{job['id']}  {job['status']:<16} {job['collection']:<20} loaded {job['documents_loaded']:>6}"
            f"  failed {job['documents_failed']:>4}  {job['created_at']}"
        )


@etl.command()
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
def status(job_id: str, as_json: bool) -> None:
    """One job: status, progress, counts and errors."""
    from octag.etl.jobs import get_job

    with database_command(), db.connection() as conn:
        job = get_job(conn, job_id, error_limit=1000).public()
    if as_json:
        click.echo(json.dumps(job, ensure_ascii=False, indent=2))
    else:
        click.echo(f"progress {job['progress']:.0%}")
        _summary(job)
