"""Helpers for the gateway tests: a Gateway in a background thread, what functions record, clients.

Tests talk to the gateway as clients do: httpx for REST, the `websockets` library for WebSocket,
boto3 for `@connections`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from local.gateway import Gateway
from local.lambda_runtime import LambdaRuntime
from octag.manifest import FunctionSpec, Manifest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TEMPLATE = FIXTURES / "gateway" / "template.yml"
HANG_GUARD = 30.0  # seconds; only ever reached when something hangs

T = TypeVar("T")


class RunningGateway:
    """Starts a Gateway + LambdaRuntime in a thread; `environment` gets the gateway to fill URLs in."""

    def __init__(
        self,
        manifest: Manifest,
        environment: Callable[[Gateway], Mapping[str, str]],
        idle_timeout: float = 600,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.runtime = LambdaRuntime(manifest, self._environment_for)
        self.gateway = Gateway(manifest, self.runtime, http_port=0, ws_port=0, idle_timeout=idle_timeout)
        self._environment = environment

    def _environment_for(self, spec: FunctionSpec) -> Mapping[str, str]:
        return self._environment(self.gateway)

    def run(self, coro: Any, timeout: float = HANG_GUARD) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __enter__(self) -> RunningGateway:
        self._thread.start()
        self.run(self.gateway.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self.gateway.stop(), timeout=2 * HANG_GUARD)
            self.run(self.runtime.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(HANG_GUARD)

    def management_client(self) -> Any:
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=self.gateway.management_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


def eventually(probe: Callable[[], T | None], timeout: float = HANG_GUARD) -> T:
    """Poll `probe` until it returns something other than None (a hang guard, not a threshold)."""
    deadline = time.monotonic() + timeout
    while (result := probe()) is None:
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)
    return result


class Recorder:
    """What the test functions write down: authorizer invocations and WebSocket events."""

    def __init__(self, root: Path) -> None:
        self.events_dir = root / "events"
        self.events_dir.mkdir()
        self.authorizer_log = root / "authorizer.jsonl"
        self.authorizer_log.touch()

    def authorizer_events(self) -> list[dict[str, Any]]:
        lines = self.authorizer_log.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def authorizer_calls(self, token: str) -> int:
        def token_of(event: dict[str, Any]) -> str | None:
            return (event.get("headers") or {}).get("Authorization") or (
                event.get("queryStringParameters") or {}
            ).get("token")

        return sum(1 for event in self.authorizer_events() if token_of(event) == token)

    def websocket_event(self, connection_id: str, event_type: str) -> dict[str, Any] | None:
        path = self.events_dir / f"{connection_id}.{event_type}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def open_ws(url: str, query: str = "") -> ClientConnection:
    """Connect (by default with a fresh token the test authorizer allows)."""
    query = query or f"token=good-{uuid.uuid4().hex[:8]}"
    return connect(f"{url}?{query}", open_timeout=HANG_GUARD, close_timeout=HANG_GUARD)


def receive(ws: ClientConnection) -> str | bytes:
    return ws.recv(timeout=HANG_GUARD)


def receive_json(ws: ClientConnection) -> Any:
    return json.loads(receive(ws))


def whoami(ws: ClientConnection) -> dict[str, Any]:
    """Ask the test function which connection this is (and its authorizer context)."""
    ws.send(json.dumps({"action": "whoami"}))
    return dict(receive_json(ws))


def close_frame(ws: ClientConnection, message: Any = None) -> tuple[int, str]:
    """Send `message` (if any), then wait for the server to close: its close code and reason.

    The close may arrive while the message is still being sent; that counts too.
    """
    with pytest.raises(ConnectionClosed) as closed:
        if message is not None:
            ws.send(message)
        while True:
            receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason
