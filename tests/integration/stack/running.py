"""Starting `octag up` as a subprocess, and signing in to it (shared by the stack and auth suites)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from tests.support.processes import free_port

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class RunningStack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    info: dict[str, str]
    log: Path

    @property
    def http_url(self) -> str:
        return self.info["http_url"]

    def terminate(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)


def start_stack(data_dir: Path, **env_overrides: str) -> RunningStack:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AWS_ENDPOINT_URL")}
    env.update(
        OCTAG_SEED_DEMO="false",  # suites that want the catalog ask for it
        OCTAG_DATA_DIR=str(data_dir),
        OCTAG_HTTP_PORT=str(free_port()),
        OCTAG_WS_PORT=str(free_port()),
    )
    env.update(env_overrides)
    log = data_dir / "octag-up.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "octag.cli", "up"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    stack_file = data_dir / "stack.json"
    deadline = time.monotonic() + 120  # hang guard only
    while True:
        if process.poll() is not None:
            raise AssertionError(f"octag up exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if stack_file.exists():
            info = json.loads(stack_file.read_text())
            if info.get("pid") == process.pid:
                try:
                    if httpx.get(info["http_url"] + "/api/health", timeout=10).status_code == 200:
                        return RunningStack(process, data_dir, info, log)
                except httpx.HTTPError:
                    pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"octag up did not become healthy:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


def run_cli(stack: RunningStack, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`octag ARGS` beside the stack, as an operator runs it: joined to its database and AWS endpoint.

    OCTAG_DATA_DIR makes the command join this stack, not one a developer left running.
    """
    env = {**os.environ, "DATABASE_URL": stack.info["database_url"], "OCTAG_DATA_DIR": str(stack.data_dir)}
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "octag.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,  # hang guard only
    )


def sign_in(stack: RunningStack) -> dict[str, object]:
    """Registers a new user and logs in: the login response (access and refresh tokens, user)."""
    credentials = {"email": f"stack-{uuid.uuid4().hex[:12]}@example.com", "password": uuid.uuid4().hex}
    with httpx.Client(base_url=stack.http_url, timeout=30) as client:
        client.post("/api/auth/register", json=credentials).raise_for_status()
        response = client.post("/api/auth/login", json=credentials)
        response.raise_for_status()
        return dict(response.json())


def websocket_url(stack: RunningStack, access_token: str) -> str:
    """The stack's WebSocket URL with an access token, as `$connect` requires."""
    return f"{stack.info['ws_url']}/?token={quote(access_token)}"
