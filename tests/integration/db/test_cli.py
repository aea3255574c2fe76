"""`octag db migrate|status` as a user runs them: the installed command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg

from tests.integration.db.servers import Holder, answers, assert_no_postgres, postmaster_pid
from tests.support.processes import alive, processes_using

OCTAG = Path(sys.executable).with_name("octag")


def octag(*args: str, data_dir: Path, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["OCTAG_DATA_DIR"] = str(data_dir)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([str(OCTAG), *args], env=env, capture_output=True, text=True, timeout=120)


def test_migrate_and_status_on_the_embedded_server_leave_no_postgres(local_data_dir: Path) -> None:
    first = octag("db", "migrate", data_dir=local_data_dir)
    assert first.returncode == 0, first.stderr
    assert "Applied 0001_foundation" in first.stdout
    assert processes_using(local_data_dir / "postgres") == set()

    again = octag("db", "migrate", data_dir=local_data_dir)
    assert (again.returncode, again.stdout.strip()) == (0, "Database is up to date."), again.stderr

    report = octag("db", "status", "--json", data_dir=local_data_dir)
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)
    assert rows[0]["version"] == 1 and rows[0]["name"] == "foundation"
    assert {row["state"] for row in rows} == {"applied"} and all(row["applied_at"] for row in rows)
    assert processes_using(local_data_dir / "postgres") == set()


def test_cli_leaves_the_server_of_a_running_stack_running(
    local_data_dir: Path, hold_server: Callable[[Path], Holder]
) -> None:
    stack = hold_server(local_data_dir / "postgres")
    pid = postmaster_pid(local_data_dir / "postgres")

    result = octag("db", "status", data_dir=local_data_dir)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:4] == ["VERSION", "NAME", "STATE", "APPLIED"]
    assert alive(pid) and answers(stack.url)
    stack.release()
    assert_no_postgres(local_data_dir / "postgres", pid)


def test_changed_migration_is_a_one_line_error_not_a_traceback(
    migrated_database_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(migrated_database_url) as conn:
        conn.execute("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = 1")

    result = octag("db", "migrate", data_dir=tmp_path, database_url=migrated_database_url)

    assert result.returncode == 1
    assert "0001_foundation.sql" in result.stderr and "0" * 64 in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_a_one_line_error(tmp_path: Path) -> None:
    result = octag(
        "db", "status", data_dir=tmp_path, database_url=f"postgresql://postgres@/x?host={tmp_path}"
    )

    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach the database")
    assert "Traceback" not in result.stderr
