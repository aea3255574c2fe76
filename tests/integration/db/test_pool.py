"""`octag.db`: the process-wide pool, and the embedded server behind `database_url()`."""

from __future__ import annotations

import threading
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from octag import db
from octag.config import get_settings
from tests.support.processes import processes_using


def test_threads_racing_for_the_pool_share_one(octag_db: str) -> None:
    barrier = threading.Barrier(8)
    pools: list[object] = []

    def grab() -> None:
        barrier.wait()
        pools.append(db.get_pool())

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pools) == 8 and all(pool is pools[0] for pool in pools)


def test_connection_commits_on_success_and_rolls_back_on_error(octag_db: str) -> None:
    insert = "INSERT INTO events (event_id, event_type, version, occurred_at) VALUES (%s, 'test', 1, now())"
    kept, lost = uuid4(), uuid4()
    with db.connection() as conn:
        conn.execute(insert, (kept,))
    with pytest.raises(RuntimeError), db.connection() as conn:
        conn.execute(insert, (lost,))
        raise RuntimeError("handler failed")
    with psycopg.connect(octag_db) as conn:
        assert conn.execute("SELECT event_id FROM events").fetchall() == [(kept,)]


def test_closed_pool_is_replaced_on_next_use(octag_db: str) -> None:
    first = db.get_pool()
    db.close_pool()
    with db.connection(timeout=5) as conn:
        assert conn.execute("SELECT to_regclass('events') IS NOT NULL").fetchone() == (True,)
    assert db.get_pool() is not first


def test_without_database_url_the_embedded_server_serves_and_shutdown_stops_it(
    monkeypatch: pytest.MonkeyPatch, local_data_dir: Path
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("OCTAG_DATA_DIR", str(local_data_dir))
    get_settings.cache_clear()
    try:
        assert str(local_data_dir / "postgres") in db.database_url()
        with db.connection(timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        db.shutdown()
        get_settings.cache_clear()
    assert processes_using(local_data_dir / "postgres") == set()
