"""Live WebSocket connections and the `@connections` management API that reaches them.

The management API answers like API Gateway's, so boto3's `apigatewaymanagementapi` client works
against it: errors carry `x-amzn-ErrorType` (botocore maps 410 to `GoneException`, 413 to
`PayloadTooLargeException`). Paths are accepted with and without the stage prefix, since boto3
keeps the endpoint URL's path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from local.gateway.access_log import log_http, log_websocket
from local.gateway.events import WebSocketClient
from local.gateway.frames import MESSAGE_LIMIT, GatedWebSocketResponse


def _iso(epoch_seconds: float) -> str:
    return (
        datetime.fromtimestamp(epoch_seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


class Connection:
    """One WebSocket client: its socket, what its handshake said, when it was last heard from."""

    def __init__(self, client: WebSocketClient) -> None:
        self.client = client
        self.ws = GatedWebSocketResponse(self)
        self.last_active_at = time.time()
        self._last_active = time.monotonic()
        self.close_code: int | None = None  # set when the gateway closes the connection
        self.close_reason = ""
        self._closing: asyncio.Task[bool] | None = None
        self.finished = asyncio.Event()  # set once `$disconnect` has run

    @property
    def id(self) -> str:
        return self.client.connection_id

    @property
    def gone(self) -> bool:
        return self.close_code is not None or self.ws.closed

    def frame_received(self) -> None:
        self.last_active_at = time.time()
        self._last_active = time.monotonic()

    def limit_exceeded(self, size: int, reason: str) -> None:
        log_websocket("message", connection_id=self.id, route_key=None, status=1009, size=size, reason=reason)
        self.close_soon(1009, reason)

    def close_soon(self, code: int, reason: str) -> None:
        """Start a server-side close (from any task or callback); the first one wins."""
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
            self._closing = asyncio.get_running_loop().create_task(
                self.ws.close(code=code, message=reason.encode())
            )

    async def wait_closed(self) -> None:
        if self._closing is not None:
            with contextlib.suppress(Exception):
                await self._closing

    async def watch_idle(self, timeout: float) -> None:
        """Close with 1001 once no frame has arrived for `timeout` seconds."""
        while (remaining := self._last_active + timeout - time.monotonic()) > 0:
            await asyncio.sleep(remaining)
        self.close_soon(1001, "Going away: idle timeout")

    async def send(self, data: bytes) -> bool:
        """Send one frame: text when `data` is UTF-8, binary otherwise. False when the client is gone."""
        if self.gone:
            return False
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        try:
            if text is None:
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)
        except ConnectionError:
            return False
        return True

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send(json.dumps(frame).encode())


class ConnectionRegistry(dict[str, Connection]):
    """Live connections by id."""

    def live(self, connection_id: str) -> Connection | None:
        conn = self.get(connection_id)
        return None if conn is None or conn.gone else conn


def _aws_error(status: int, error_type: str, message: str, headers: dict[str, str]) -> web.Response:
    return web.json_response(
        {"message": message}, status=status, headers={"x-amzn-ErrorType": error_type, **headers}
    )


def _describe(conn: Connection) -> dict[str, Any]:
    return {
        "connectedAt": _iso(conn.client.connected_at / 1000),
        "identity": {"sourceIp": conn.client.source_ip, "userAgent": conn.client.user_agent},
        "lastActiveAt": _iso(conn.last_active_at),
    }


class ConnectionsApi:
    """`POST` (send), `GET` (describe) and `DELETE` (close) on `[/{stage}]/@connections/{id}`."""

    def __init__(self, registry: ConnectionRegistry) -> None:
        self._registry = registry

    def add_routes(self, app: web.Application) -> None:
        for path in ("/@connections/{connection_id}", "/{stage}/@connections/{connection_id}"):
            app.router.add_post(path, self.handle)
            app.router.add_get(path, self.handle)
            app.router.add_delete(path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        response = await self._dispatch(request, request_id)
        log_http(
            method=request.method,
            path=request.path,
            status=response.status,
            started=started,
            request_id=request_id,
            function=None,
        )
        return response

    async def _dispatch(self, request: web.Request, request_id: str) -> web.Response:
        headers = {"x-amzn-RequestId": request_id}
        conn = self._registry.live(request.match_info["connection_id"])
        if request.method == "POST":
            try:
                data: bytes | None = await request.read()
            except web.HTTPRequestEntityTooLarge:  # beyond the app's client_max_size
                data = None
            if data is None or len(data) > MESSAGE_LIMIT:
                return _aws_error(413, "PayloadTooLargeException", "Data exceeds 128 KB", headers)
            if conn is not None and await conn.send(data):
                return web.Response(status=200, headers=headers)
        elif conn is not None and request.method == "DELETE":
            conn.close_soon(1000, "Connection deleted")
            return web.Response(status=204, headers=headers)
        elif conn is not None:
            return web.json_response(_describe(conn), headers=headers)
        return _aws_error(410, "GoneException", "The connection is gone", headers)
