"""Helpers for tests that watch embedded servers from the outside, as other processes do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from tests.support.processes import alive, processes_using

# Stands in for `octag up`: holds the server until its stdin closes, then stops.
_HOLDER_SCRIPT = """
import sys
from pathlib import Path
from octag.db.embedded import EmbeddedPostgres

server = EmbeddedPostgres(Path(sys.argv[1]))
print(server.start(), flush=True)
sys.stdin.read()
server.stop()
"""


class Holder:
    """Another process using the embedded server of `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HOLDER_SCRIPT, str(data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url, f"holder exited with {self.process.wait()}"

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0


def postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def answers(url: str) -> bool:
    with psycopg.connect(url, connect_timeout=5) as conn:
        return conn.execute("SELECT 1").fetchone() == (1,)


def assert_no_postgres(data_dir: Path, pid: int) -> None:
    assert not alive(pid)
    assert processes_using(data_dir) == set()
    assert not (data_dir / "postmaster.pid").exists()
