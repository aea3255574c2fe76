"""Shared database fixtures: one embedded PostgreSQL per test session, a fresh database per test."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import psycopg
import pytest
from psycopg import sql

from octag import db
from octag.config import get_settings
from octag.db.embedded import EmbeddedPostgres
from octag.db.migrations import migrate
from tests.support.processes import processes_using

SEED_CATALOG = Path(__file__).resolve().parents[1] / "local" / "seed" / "seoul-themes.seed.json"
# Test data dies with the session: durability is traded for speed (CREATE DATABASE runs ~2x faster).
_THROWAWAY_SERVER_OPTIONS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="session")
def _local_state_root() -> Iterator[Path]:
    # Not under pytest's tmp root: every pytest session starting on this machine chmods that to 0700,
    # and as root the embedded server runs as the `pgserver` OS user, who must reach its data dir.
    root = Path(tempfile.mkdtemp(prefix="octag-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def local_data_dir(_local_state_root: Path) -> Iterator[Path]:
    """A fresh empty directory for local state (an OCTAG_DATA_DIR) that an embedded server can use.

    Any server still running from it after the test (a failed one) is stopped.
    """
    path = Path(tempfile.mkdtemp(dir=_local_state_root))
    yield path
    for pid in processes_using(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)  # a postmaster's "fast" shutdown


@pytest.fixture(scope="session")
def pg_server(_local_state_root: Path) -> Iterator[EmbeddedPostgres]:
    """The session's embedded PostgreSQL; create databases on it rather than using `postgres`."""
    data_dir = _local_state_root / "session" / "postgres"
    with EmbeddedPostgres(data_dir, server_options=_THROWAWAY_SERVER_OPTIONS) as server:
        yield server


@pytest.fixture
def database_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """A fresh, empty database (no migrations), dropped after the test."""
    with _scratch_database(pg_server.url) as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_template(pg_server: EmbeddedPostgres) -> str:
    name = "octag_migrated_template"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate(_url_of_database(pg_server.url, name))
    return name


@pytest.fixture
def migrated_database_url(pg_server: EmbeddedPostgres, _migrated_template: str) -> Iterator[str]:
    """A fresh database with every migration applied (copied from a template migrated once)."""
    with _scratch_database(pg_server.url, template=_migrated_template) as url:
        yield url


@pytest.fixture
def octag_db(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Points `octag.db` (DATABASE_URL, its pool) at a fresh migrated database; yields its URL."""
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    get_settings.cache_clear()
    db.close_pool()
    yield migrated_database_url
    db.close_pool()
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _catalog_template(pg_server: EmbeddedPostgres, _migrated_template: str) -> str:
    """A migrated database with the demo catalog ingested (tables and the `escape_rooms` collection)."""
    from octag.etl.jobs import JobSource, create_job
    from octag.etl.pipeline import run_job

    name = "octag_catalog_template"
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(_migrated_template)
            )
        )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", _url_of_database(pg_server.url, name))
        get_settings.cache_clear()
        db.close_pool()
        with db.connection() as conn:
            job = create_job(
                conn, "escape_rooms", JobSource(paths=[str(SEED_CATALOG)], format="escape-catalog")
            )
        assert run_job(job.id).status == "succeeded"
        db.close_pool()
    get_settings.cache_clear()
    return name


@pytest.fixture
def catalog_db(
    pg_server: EmbeddedPostgres, _catalog_template: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Like `octag_db`, with the demo catalog already loaded."""
    from octag.nlu import forget_shared_names

    with _scratch_database(pg_server.url, template=_catalog_template) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        db.close_pool()
        forget_shared_names()
        yield url
        db.close_pool()
        get_settings.cache_clear()


@contextmanager
def _scratch_database(server_url: str, template: str | None = None) -> Iterator[str]:
    name = f"test_{uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        # FILE_COPY: with fsync off, copying files beats WAL-logging every page of the template.
        create = sql.SQL("CREATE DATABASE {} STRATEGY FILE_COPY").format(sql.Identifier(name))
        if template:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(create)
    try:
        yield _url_of_database(server_url, name)
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            # FORCE: a test may leave connections open (e.g. a pool it never closed).
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def _url_of_database(server_url: str, name: str) -> str:
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
