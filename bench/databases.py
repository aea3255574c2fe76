"""Benchmark plumbing shared by the scripts in bench/: a fresh migrated database per measurement."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from octag import db
from octag.config import get_settings
from octag.db.embedded import EmbeddedPostgres
from octag.db.migrations import migrate


@contextlib.contextmanager
def octag_database(server: EmbeddedPostgres, name: str) -> Iterator[str]:
    """A fresh migrated database on the server, with `octag.db` pointed at it; yields its URL and drops
    the database afterwards (frees its disk for the next measurement)."""
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = urlunsplit(urlsplit(server.url)._replace(path=f"/{name}"))
    migrate(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    db.close_pool()
    try:
        yield url
    finally:
        db.close_pool()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        get_settings.cache_clear()
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
