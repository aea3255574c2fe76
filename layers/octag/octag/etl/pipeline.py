"""The ETL pipeline: extract → clean → chunk → tokenize → embed → load, run as a job.

The CLI runs it in-process; the ETL worker runs it for jobs queued through the REST API. Either
way a bad record is recorded and skipped, unchanged documents are skipped by content hash, and a
rerun of an interrupted job skips what was already loaded.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from uuid import UUID

from aws_lambda_powertools import Logger

from octag import db
from octag.config import get_settings
from octag.etl import jobs
from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract import Source, extract, resolve_sources
from octag.etl.store import (
    Collection,
    PreparedChunk,
    PreparedDocument,
    content_hash,
    ensure_collection,
    loaded_hashes,
    prune_documents,
    replace_documents,
)
from octag.etl.text import chunk_text, clean_text
from octag.search.embedders import Embedder, get_embedder
from octag.search.tokenizer import lexeme_texts

logger = Logger(child=True)

ProgressCallback = Callable[[dict[str, int], float], None]
_BATCH_DOCUMENTS = 32
_HEARTBEAT_SECONDS = 5.0


@dataclass
class _Run:
    job: jobs.Job
    collection: Collection
    embedder: Embedder
    on_progress: ProgressCallback | None
    counts: Counter[str] = field(default_factory=Counter)
    progress: float = 0.0
    seen: set[str] = field(default_factory=set)
    whole_file_failed: bool = False
    _saved_at: float = 0.0

    def wanted(self, source_id: str | None, source_uri: str) -> bool:
        only = self.job.source.only
        return only is None or source_id in only or source_uri in only or source_uri.split("#")[0] in only

    def fail(self, errors: list[RecordError]) -> None:
        if not errors:
            return
        self.counts["documents_failed"] += len(errors)
        # A document that failed this time is not gone from the source: --prune keeps it, and a
        # failure that names no document (a broken line, an unreadable file) turns --prune off.
        self.seen.update(e.source_id for e in errors if e.source_id is not None)
        self.whole_file_failed |= any(e.source_id is None for e in errors)
        with db.connection() as conn:
            jobs.record_errors(conn, self.job.id, errors)

    def report(self, force: bool = False) -> None:
        if self.on_progress:
            self.on_progress(dict(self.counts), self.progress)
        if force or time.monotonic() - self._saved_at > _HEARTBEAT_SECONDS:
            with db.connection() as conn:
                jobs.save_progress(conn, self.job.id, dict(self.counts), self.progress)
            self._saved_at = time.monotonic()


def run_job(job_id: UUID, *, on_progress: ProgressCallback | None = None) -> jobs.Job:
    """Run a queued (or abandoned) job to the end; a job another live worker holds is left alone."""
    with db.connection() as conn:
        claimed = jobs.claim_job(conn, job_id)
        job = jobs.get_job(conn, job_id, with_errors=False)
    if not claimed:
        return job
    try:
        status = _ingest(job, on_progress)
        error = None
    except Exception as exc:  # the job as a whole failed (source missing, database down, ...)
        logger.exception("etl job failed", extra={"job_id": str(job_id)})
        status, error = "failed", f"{type(exc).__name__}: {exc}"
    with db.connection() as conn:
        jobs.finish_job(conn, job_id, status, error)
        return jobs.get_job(conn, job_id)


def _ingest(job: jobs.Job, on_progress: ProgressCallback | None) -> jobs.JobStatus:
    embedder = _embedder_for(job.collection)
    with db.connection() as conn:
        collection = ensure_collection(conn, job.collection, embedder.model_id, embedder.dimension)
    run = _Run(job, collection, embedder, on_progress)
    sources = resolve_sources(job.source.paths)
    for done, source in enumerate(sources, start=1):
        if job.source.format == "escape-catalog":
            _load_catalog_tables(source)
        pending: list[SourceDocument] = []
        errors: list[RecordError] = []
        for item in extract(
            [source.uri],
            format=job.source.format,
            id_field=job.source.id_field,
            text_field=job.source.text_field,
        ):
            if not run.wanted(item.source_id, item.source_uri):
                continue
            if isinstance(item, RecordError):
                errors.append(item)
                continue
            run.counts["documents_seen"] += 1
            run.seen.add(item.source_id)
            pending.append(item)
            if len(pending) >= _BATCH_DOCUMENTS:
                _load(run, pending)
                pending = []
                run.fail(errors)
                errors = []
                run.report()
        _load(run, pending)
        run.fail(errors)
        run.progress = done / len(sources)
        run.report()
    if job.source.prune and job.source.only is None and not run.whole_file_failed:
        with db.connection() as conn:
            run.counts["documents_pruned"] = prune_documents(conn, job.collection, run.seen)
    run.report(force=True)
    if run.counts["documents_failed"] and not (
        run.counts["documents_loaded"] or run.counts["documents_skipped"]
    ):
        return "failed"
    return "partially_failed" if run.counts["documents_failed"] else "succeeded"


def _load_catalog_tables(source: Source) -> None:
    """The structured side of a catalog: cafes and themes upserted into the catalog tables.

    A file that cannot be read or is not a listing is left to extraction, which records its error.
    """
    from octag.catalog.repository import upsert_catalog
    from octag.catalog.source import read_catalog

    try:
        catalog = read_catalog(source)
    except Exception:
        return
    with db.connection() as conn:
        counts = upsert_catalog(conn, catalog)
    logger.info("catalog tables loaded", extra={"source": source.uri, **asdict(counts)})


def _embedder_for(collection: str) -> Embedder:
    """The collection's own embedder once it exists; the configured one for a new collection."""
    with db.connection() as conn:
        row = conn.execute(
            "SELECT embedding_model FROM collections WHERE name = %s", (collection,)
        ).fetchone()
    return get_embedder(row[0] if row else get_settings().embedding_model)


def _load(run: _Run, documents: list[SourceDocument]) -> None:
    """Prepare and load one batch; unchanged documents are skipped, a failing one is isolated."""
    if not documents:
        return
    with db.connection() as conn:
        known = loaded_hashes(conn, run.collection.name, [d.source_id for d in documents])
    drafts: list[tuple[SourceDocument, str, bytes, list]] = []
    for doc in documents:
        text = clean_text(doc.text)
        if not text:
            run.fail([RecordError(doc.source_uri, "text", "no text left after cleaning", doc.source_id)])
            continue
        digest = content_hash(text, doc.title, doc.metadata)
        if known.get(doc.source_id) == digest:
            run.counts["documents_skipped"] += 1
            continue
        drafts.append((doc, text, digest, chunk_text(text, markdown=doc.format in ("md", "html"))))
    if not drafts:
        return
    texts = [chunk.text for *_, chunks in drafts for chunk in chunks]
    lexemes = lexeme_texts(texts)
    vectors = _embed(run.embedder, texts)
    prepared, position = [], 0
    for doc, _text, digest, chunks in drafts:
        prepared_chunks = [
            PreparedChunk(c.ordinal, c.text, lexemes[position + i], vectors[position + i], c.metadata)
            for i, c in enumerate(chunks)
        ]
        position += len(chunks)
        prepared.append(
            PreparedDocument(doc.source_id, doc.source_uri, doc.title, digest, doc.metadata, prepared_chunks)
        )
    try:
        with db.connection() as conn:
            run.counts["chunks_loaded"] += replace_documents(conn, run.collection, prepared, run.job.id)
        run.counts["documents_loaded"] += len(prepared)
    except Exception:
        for one in prepared:  # find the one the database refuses; load the others
            try:
                with db.connection() as conn:
                    run.counts["chunks_loaded"] += replace_documents(conn, run.collection, [one], run.job.id)
                run.counts["documents_loaded"] += 1
            except Exception as exc:
                run.fail([RecordError(one.source_uri, "load", f"database refused it: {exc}", one.source_id)])


def _embed(embedder: Embedder, texts: list[str]) -> list:
    batch = max(1, get_settings().etl_batch_size)
    vectors: list = []
    for start in range(0, len(texts), batch):
        vectors.extend(embedder.embed_documents(texts[start : start + batch]))
    return vectors
