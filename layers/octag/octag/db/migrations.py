"""Versioned SQL migrations: `migrations/NNNN_name.sql`, applied in order, recorded in `schema_migrations`.

Each file runs in its own transaction (so no `CREATE INDEX CONCURRENTLY`), all of them under one
session advisory lock: a second migrator waits, then finds nothing left to do. A file changed after
it was applied stops everything, because the database no longer matches the code that describes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

import psycopg
from psycopg.pq import TransactionStatus

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed bigint works as long as every Octag migrator of a database uses the same one ("octag").
ADVISORY_LOCK_KEY = 0x6F63746167
_FILE_NAME = re.compile(r"^(?P<version>\d{4,})_(?P<name>\w+)\.sql$")

MigrationState = Literal["applied", "pending", "modified", "missing"]


class MigrationError(Exception):
    """The migrations cannot be applied as they are; the message says which file and why."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path
    sql: bytes

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql).hexdigest()


class AppliedMigration(NamedTuple):
    version: int
    name: str
    checksum: str
    execution_ms: int


class MigrationStatus(NamedTuple):
    version: int
    name: str
    state: MigrationState
    applied_at: datetime | None


class _Record(NamedTuple):
    name: str
    checksum: str
    applied_at: datetime


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """The migration files of `directory` (default: the package's), by version."""
    directory = directory or MIGRATIONS_DIR
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    by_version: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_name.sql")
        version = int(match["version"])
        if version in by_version:
            raise MigrationError(f"{path.name} and {by_version[version].path.name} share version {version}")
        by_version[version] = Migration(version, match["name"], path, path.read_bytes())
    return [by_version[v] for v in sorted(by_version)]


def migrate(
    conn_or_url: psycopg.Connection[Any] | str, directory: Path | None = None
) -> list[AppliedMigration]:
    """Apply pending migrations in version order; returns those this call applied."""
    migrations = load_migrations(directory)
    applied: list[AppliedMigration] = []
    with _session(conn_or_url) as conn, _advisory_lock(conn):
        with conn.transaction():
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version integer PRIMARY KEY,
                       name text NOT NULL,
                       checksum text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now(),
                       execution_ms integer NOT NULL
                   )"""
            )
            records = _records(conn)
        modified = [
            m for m in migrations if m.version in records and records[m.version].checksum != m.checksum
        ]
        if modified:
            raise MigrationError(
                "applied migrations were changed since (add a new migration instead); nothing was applied:\n"
                + "\n".join(
                    f"  {m.path}: applied checksum {records[m.version].checksum}, file checksum {m.checksum}"
                    for m in modified
                )
            )
        for migration in (m for m in migrations if m.version not in records):
            applied.append(_apply(conn, migration))
    return applied


def status(
    conn_or_url: psycopg.Connection[Any] | str, directory: Path | None = None
) -> list[MigrationStatus]:
    """Every migration known to the files or the database, by version, with its state."""
    files = {m.version: m for m in load_migrations(directory)}
    with _session(conn_or_url) as conn, conn.transaction():
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        records = _records(conn) if exists and exists[0] else {}
    report = []
    for version in sorted(files.keys() | records.keys()):
        file, record = files.get(version), records.get(version)
        if record is None:
            assert file is not None
            report.append(MigrationStatus(version, file.name, "pending", None))
        elif file is None:
            report.append(MigrationStatus(version, record.name, "missing", record.applied_at))
        else:
            state: MigrationState = "applied" if file.checksum == record.checksum else "modified"
            report.append(MigrationStatus(version, file.name, state, record.applied_at))
    return report


def _apply(conn: psycopg.Connection[Any], migration: Migration) -> AppliedMigration:
    started = time.perf_counter()
    try:
        with conn.transaction():
            conn.execute(migration.sql)  # no parameters: the simple protocol runs every statement
            execution_ms = round((time.perf_counter() - started) * 1000)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum, execution_ms) VALUES (%s, %s, %s, %s)",
                (migration.version, migration.name, migration.checksum, execution_ms),
            )
    except psycopg.Error as exc:
        raise MigrationError(f"{migration.path} failed and was rolled back: {exc}") from exc
    return AppliedMigration(migration.version, migration.name, migration.checksum, execution_ms)


def _records(conn: psycopg.Connection[Any]) -> dict[int, _Record]:
    rows = conn.execute("SELECT version, name, checksum, applied_at FROM schema_migrations").fetchall()
    return {version: _Record(name, checksum, applied_at) for version, name, checksum, applied_at in rows}


@contextlib.contextmanager
def _session(conn_or_url: psycopg.Connection[Any] | str) -> Iterator[psycopg.Connection[Any]]:
    """A connection outside any transaction, so each `conn.transaction()` below is a real one."""
    if isinstance(conn_or_url, str):
        with psycopg.connect(conn_or_url, autocommit=True) as conn:
            yield conn
        return
    if conn_or_url.info.transaction_status != TransactionStatus.IDLE:
        raise MigrationError("the connection given to the migrator is inside a transaction; commit it first")
    yield conn_or_url


@contextlib.contextmanager
def _advisory_lock(conn: psycopg.Connection[Any]) -> Iterator[None]:
    # Session-level: the lock outlives the short transactions that take and release it.
    with conn.transaction():
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        yield
    finally:
        if not conn.closed:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
