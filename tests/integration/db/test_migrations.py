from __future__ import annotations

import threading
import time
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from octag.db.migrations import (
    ADVISORY_LOCK_KEY,
    AppliedMigration,
    MigrationError,
    load_migrations,
    migrate,
    status,
)


def write_migrations(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def fetch(url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_package_migrations_apply_once_then_nothing_is_pending(database_url: str) -> None:
    applied = migrate(database_url)
    assert [m.version for m in applied] == [m.version for m in load_migrations()]
    assert migrate(database_url) == []
    assert {s.state for s in status(database_url)} == {"applied"}
    recorded = fetch(
        database_url, "SELECT version, name, length(checksum), execution_ms >= 0 FROM schema_migrations"
    )
    assert (1, "foundation", 64, True) in recorded


def test_foundation_makes_vector_trigram_and_gist_usable(migrated_database_url: str) -> None:
    with psycopg.connect(migrated_database_url) as conn:
        assert conn.execute("SELECT '[1,2,3]'::vector <-> '[1,2,5]'::vector").fetchone() == (2.0,)
        # Hangul must count as word characters, or trigram search ignores Korean text.
        similarity = conn.execute("SELECT similarity('강남역 방탈출', '강남 방탈출')").fetchone()
        assert similarity is not None and similarity[0] > 0.3
        conn.execute(
            "CREATE TEMP TABLE bookings (room int, slot tstzrange, EXCLUDE USING gist (room WITH =, slot WITH &&))"
        )


def test_events_table_stores_each_event_id_once(migrated_database_url: str) -> None:
    event_id = uuid4()
    insert = """INSERT INTO events (event_id, event_type, version, occurred_at, user_id)
                VALUES (%s, 'chat.message', 1, now(), 'u1') ON CONFLICT (event_id) DO NOTHING"""
    with psycopg.connect(migrated_database_url) as conn:
        assert conn.execute(insert, (event_id,)).rowcount == 1
        assert conn.execute(insert, (event_id,)).rowcount == 0
        row = conn.execute("SELECT payload, received_at IS NOT NULL FROM events").fetchone()
    assert row == ({}, True)


def test_concurrent_migrators_apply_each_migration_exactly_once(database_url: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "migrations",
        {
            "0001_log.sql": "CREATE TABLE migration_log (version int); INSERT INTO migration_log VALUES (1);",
            "0002_more.sql": "INSERT INTO migration_log VALUES (2);",
        },
    )
    results: dict[str, list[AppliedMigration]] = {}
    errors: list[BaseException] = []

    def migrator(name: str) -> None:
        try:
            results[name] = migrate(database_url, directory)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=migrator, args=(name,)) for name in ("first", "second")]
    with psycopg.connect(database_url, autocommit=True) as gate:
        # Holding the lock makes both migrators queue on it: they truly run at once.
        gate.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60  # hang guard only
        while gate.execute(
            """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
        ).fetchone() != (2,):
            assert time.monotonic() < deadline and not errors, errors
            time.sleep(0.01)
        gate.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(len(applied) for applied in results.values()) == [0, 2]
    assert fetch(database_url, "SELECT version FROM migration_log ORDER BY version") == [(1,), (2,)]


def test_editing_an_applied_migration_stops_everything(database_url: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "migrations",
        {
            "0001_rooms.sql": "CREATE TABLE rooms (id int);",
            "0002_themes.sql": "CREATE TABLE themes (id int);",
        },
    )
    migrate(database_url, directory)
    before = load_migrations(directory)[0].checksum
    write_migrations(
        directory,
        {
            "0001_rooms.sql": "CREATE TABLE rooms (id bigint);",
            "0003_cafes.sql": "CREATE TABLE cafes (id int);",
        },
    )
    after = load_migrations(directory)[0].checksum

    with pytest.raises(MigrationError) as raised:
        migrate(database_url, directory)

    message = str(raised.value)
    assert str(directory / "0001_rooms.sql") in message and before in message and after in message
    assert "nothing was applied" in message
    assert fetch(database_url, "SELECT to_regclass('cafes')") == [(None,)]
    assert [(s.version, s.state) for s in status(database_url, directory)] == [
        (1, "modified"),
        (2, "applied"),
        (3, "pending"),
    ]


def test_failing_migration_rolls_back_alone_and_names_its_file(database_url: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "migrations",
        {
            "0001_rooms.sql": "CREATE TABLE rooms (id int);",
            "0002_broken.sql": "CREATE TABLE half_done (id int); SELECT * FROM no_such_table;",
        },
    )
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed.*no_such_table"):
        migrate(database_url, directory)
    assert fetch(database_url, "SELECT to_regclass('rooms') IS NOT NULL, to_regclass('half_done')") == [
        (True, None)
    ]
    assert [s.state for s in status(database_url, directory)] == ["applied", "pending"]


def test_status_reports_every_state(database_url: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "migrations",
        {
            "0001_kept.sql": "SELECT 1;",
            "0002_edited.sql": "SELECT 2;",
            "0003_deleted.sql": "SELECT 3;",
        },
    )
    assert [s.state for s in status(database_url, directory)] == ["pending"] * 3
    migrate(database_url, directory)
    (directory / "0002_edited.sql").write_text("SELECT 22;")
    (directory / "0003_deleted.sql").unlink()
    write_migrations(directory, {"0004_new.sql": "SELECT 4;"})

    report = status(database_url, directory)

    assert [(s.version, s.name, s.state) for s in report] == [
        (1, "kept", "applied"),
        (2, "edited", "modified"),
        (3, "deleted", "missing"),
        (4, "new", "pending"),
    ]
    assert all(s.applied_at is not None for s in report[:3]) and report[3].applied_at is None


def test_migrate_on_a_caller_connection_leaves_it_idle_and_usable(database_url: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "migrations", {"0001_rooms.sql": "CREATE TABLE rooms (id int);"})
    with psycopg.connect(database_url) as conn:  # not autocommit, like a pooled connection
        assert [m.name for m in migrate(conn, directory)] == ["rooms"]
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute("SELECT count(*) FROM rooms")
        with pytest.raises(MigrationError, match="inside a transaction"):
            migrate(conn, directory)
