"""PostgreSQL access: one connection pool per process (a Lambda execution environment reuses it
across invocations), on `DATABASE_URL` or else the embedded server in the data directory."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from octag.config import get_settings

if TYPE_CHECKING:
    from octag.db.embedded import EmbeddedPostgres

_lock = threading.RLock()
_pool: ConnectionPool[Connection[TupleRow]] | None = None
_embedded: EmbeddedPostgres | None = None


def database_url() -> str:
    """`DATABASE_URL`, or the URL of the embedded server in `<data dir>/postgres`, started or joined."""
    global _embedded
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    with _lock:
        if _embedded is None:
            # Imported on demand: a Lambda never runs it (nor has pgserver in its layer).
            from octag.db.embedded import EmbeddedPostgres

            server = EmbeddedPostgres(settings.resolved_data_dir / "postgres")
            server.start()
            _embedded = server
            # Stops the server at exit only if no other process (e.g. `octag up`) still holds it.
            atexit.register(shutdown)
        return _embedded.url


def get_pool() -> ConnectionPool[Connection[TupleRow]]:
    """The process-wide pool, created and opened on first use."""
    global _pool
    with _lock:
        if _pool is None:
            settings = get_settings()
            pool = ConnectionPool(
                database_url(),
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                # A frozen Lambda or a restarted server leaves dead connections behind.
                check=ConnectionPool.check_connection,
                name="octag",
                open=False,
            )
            pool.open(wait=False)
            _pool = pool
        return _pool


@contextmanager
def connection(timeout: float | None = None) -> Iterator[Connection[TupleRow]]:
    """A pooled connection: committed when the block succeeds, rolled back when it raises.

    `timeout` bounds the wait for a free (or first) connection; None: the pool's default (30 s).
    """
    with get_pool().connection(timeout=timeout) as conn:
        yield conn


def close_pool() -> None:
    """Close the pool; the next `get_pool()` opens a new one (e.g. after settings changed)."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


def shutdown() -> None:
    """Close the pool and leave the embedded server this process joined (stopped if no one else holds it)."""
    global _embedded
    with _lock:
        close_pool()
        atexit.unregister(shutdown)
        if _embedded is not None:
            _embedded.stop()
            _embedded = None
