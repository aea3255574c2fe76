"""The embedded server's lifecycle across processes: every test starts real PostgreSQL clusters."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from octag.db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from tests.integration.db.servers import Holder, answers, assert_no_postgres, postmaster_pid
from tests.support.processes import alive


def test_start_serves_other_processes_and_stop_leaves_no_postgres(local_data_dir: Path) -> None:
    data_dir = local_data_dir / "postgres"
    with EmbeddedPostgres(data_dir) as server:
        pid = postmaster_pid(data_dir)
        probe = (
            "import psycopg, sys; print(psycopg.connect(sys.argv[1]).execute('SELECT 41 + 1').fetchone()[0])"
        )
        result = subprocess.run([sys.executable, "-c", probe, server.url], capture_output=True, text=True)
        assert result.stdout.strip() == "42", result.stderr
        assert "host=" in server.url and str(data_dir) in server.url
    assert_no_postgres(data_dir, pid)


def test_server_left_by_a_sigkilled_process_is_reused_then_stopped(
    local_data_dir: Path, hold_server: Callable[[Path], Holder]
) -> None:
    data_dir = local_data_dir / "postgres"
    holder = hold_server(data_dir)
    pid = postmaster_pid(data_dir)
    holder.process.kill()
    holder.process.wait()
    assert alive(pid)  # pg_ctl daemonises the postmaster: it outlives the process that started it

    server = EmbeddedPostgres(data_dir)
    assert server.start() == holder.url
    assert postmaster_pid(data_dir) == pid
    assert answers(server.url)
    server.stop()
    assert_no_postgres(data_dir, pid)


@pytest.mark.parametrize("stale_pid", ["dead process", "live non-postgres process of the server's user"])
def test_stale_postmaster_pid_does_not_block_start(local_data_dir: Path, stale_pid: str) -> None:
    data_dir = local_data_dir / "postgres"
    with EmbeddedPostgres(data_dir):
        lock_files = {
            p: p.read_text() for p in (data_dir / "postmaster.pid", data_dir / ".s.PGSQL.5432.lock")
        }
        old_pid = postmaster_pid(data_dir)
    # After a crash and a reboot, the recorded pid may be free or taken by any process. PostgreSQL
    # itself refuses to start while it names a live process of its own OS user.
    impostor = subprocess.Popen(["sleep", "60"], user=data_dir.stat().st_uid)
    if stale_pid == "dead process":
        impostor.kill()
        impostor.wait()
    for path, text in lock_files.items():
        path.write_text(text.replace(str(old_pid), str(impostor.pid), 1))
    try:
        with EmbeddedPostgres(data_dir) as server:
            assert answers(server.url)
            pid = postmaster_pid(data_dir)
    finally:
        impostor.kill()
        impostor.wait()
    assert_no_postgres(data_dir, pid)


def test_two_data_dirs_run_side_by_side(local_data_dir: Path) -> None:
    first, second = (
        EmbeddedPostgres(local_data_dir / "a" / "postgres"),
        EmbeddedPostgres(local_data_dir / "b" / "postgres"),
    )
    with first, second:
        assert first.url != second.url
        with psycopg.connect(first.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE only_in_first (id int)")
        with psycopg.connect(second.url) as conn:
            assert conn.execute("SELECT to_regclass('only_in_first')").fetchone() == (None,)
        second_pid = postmaster_pid(second.data_dir)
        first.stop()
        assert answers(second.url)
    assert_no_postgres(second.data_dir, second_pid)


def test_stop_leaves_the_server_to_another_live_holder(
    local_data_dir: Path, hold_server: Callable[[Path], Holder]
) -> None:
    data_dir = local_data_dir / "postgres"
    holder = hold_server(data_dir)
    pid = postmaster_pid(data_dir)

    with EmbeddedPostgres(data_dir) as server:
        assert server.url == holder.url
    assert alive(pid) and answers(holder.url)

    holder.release()
    assert_no_postgres(data_dir, pid)


def test_stop_in_a_forked_child_leaves_the_parents_server(local_data_dir: Path) -> None:
    data_dir = local_data_dir / "postgres"
    with EmbeddedPostgres(data_dir) as server:
        child = os.fork()
        if child == 0:  # e.g. a worker forked after the server started, exiting through atexit
            server.stop()
            os._exit(0)
        os.waitpid(child, 0)
        assert answers(server.url)
        pid = postmaster_pid(data_dir)
    assert_no_postgres(data_dir, pid)


def test_data_dir_too_long_for_a_socket_path_still_works(local_data_dir: Path) -> None:
    data_dir = local_data_dir / ("deep" * 30) / "postgres"
    with EmbeddedPostgres(data_dir) as server:
        assert answers(server.url)
        socket_dir = Path(parse_qs(urlsplit(server.url).query)["host"][0])
        assert socket_dir != data_dir
        pid = postmaster_pid(data_dir)
    assert_no_postgres(data_dir, pid)
    assert not socket_dir.exists()


def test_data_dir_that_is_a_file_is_a_clear_error(local_data_dir: Path) -> None:
    (local_data_dir / "postgres").write_text("not a directory")
    with pytest.raises(EmbeddedPostgresError, match="exists and is not a directory"):
        EmbeddedPostgres(local_data_dir / "postgres").start()


def test_non_empty_directory_without_a_cluster_is_left_untouched(local_data_dir: Path) -> None:
    (local_data_dir / "postgres").mkdir()
    (local_data_dir / "postgres" / "notes.txt").write_text("mine")
    with pytest.raises(EmbeddedPostgresError, match="not empty and holds no PostgreSQL cluster"):
        EmbeddedPostgres(local_data_dir / "postgres").start()
    assert [p.name for p in (local_data_dir / "postgres").iterdir()] == ["notes.txt"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_data_dir_is_a_clear_error(local_data_dir: Path) -> None:
    local_data_dir.chmod(0o500)
    try:
        with pytest.raises(EmbeddedPostgresError, match="cannot create PostgreSQL data directory"):
            EmbeddedPostgres(local_data_dir / "postgres").start()
    finally:
        local_data_dir.chmod(0o700)
