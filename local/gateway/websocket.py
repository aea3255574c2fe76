"""The WebSocket API: `$connect` during the handshake, route selection per message, `$disconnect`.

As in API Gateway, a route's return value is not sent to the client (no route responses): clients
receive only what handlers push through `@connections`, plus API Gateway's own error frames.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from aiohttp import WSMsgType, web

from local.gateway.access_log import log_websocket
from local.gateway.authorizer import Authorizers, identity_values
from local.gateway.connections import Connection, ConnectionRegistry
from local.gateway.errors import error_response
from local.gateway.events import (
    ApiInfo,
    WebSocketClient,
    new_id,
    websocket_authorizer_event,
    websocket_connect_event,
    websocket_disconnect_event,
    websocket_message_event,
)
from local.lambda_runtime import LambdaRuntime
from octag.manifest import ManifestError, WebSocketApiSpec

_SELECTION = re.compile(r"^\$\{?request\.body\.([\w.]+)\}?$")


class WebSocketApi:
    def __init__(
        self,
        spec: WebSocketApiSpec,
        runtime: LambdaRuntime,
        authorizers: Authorizers,
        api: ApiInfo,
        registry: ConnectionRegistry,
        idle_timeout: float,
    ) -> None:
        selection = _SELECTION.match(spec.route_selection_expression)
        if not selection:
            raise ManifestError(f"unsupported route selection expression {spec.route_selection_expression!r}")
        self._selection_path = selection.group(1).split(".")
        self._spec = spec
        self._runtime = runtime
        self._authorizers = authorizers
        self._api = api
        self._registry = registry
        self._idle_timeout = idle_timeout
        self._tasks: set[asyncio.Task[None]] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.handle)
        app.router.add_get(f"/{self._spec.stage}", self.handle)

    async def drain(self) -> None:
        """Wait for messages still being handled."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def select_route(self, data: str | bytes) -> str | None:
        """The route for a message: the selection expression's value if declared, else `$default`."""
        value: Any = None
        if isinstance(data, str):
            try:
                value = json.loads(data)
            except ValueError:
                value = None
            for key in self._selection_path:
                value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value in self._spec.routes and not value.startswith("$"):
            return value
        return "$default" if "$default" in self._spec.routes else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not web.WebSocketResponse().can_prepare(request).ok:
            return error_response(400, "Expected a WebSocket upgrade request")
        client = WebSocketClient(
            connection_id=new_id(),
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            domain_name=request.host,
            headers=tuple(request.headers.items()),
            query=tuple(request.query.items()),
        )
        request_id = new_id()
        status, reason, function = await self._connect(request, client, request_id)
        log_websocket(
            "connect",
            connection_id=client.connection_id,
            route_key="$connect",
            status=status,
            request_id=request_id,
            function=function,
            reason=reason or None,
        )
        if not 200 <= status < 300:
            return error_response(status, reason)

        conn = Connection(client)
        await conn.ws.prepare(request)
        self._registry[conn.id] = conn
        idle = asyncio.create_task(conn.watch_idle(self._idle_timeout))
        code, reason = 1006, "Connection closed abnormally"
        try:
            code, reason = await self._receive(conn)
        finally:
            idle.cancel()
            del self._registry[conn.id]
            await conn.wait_closed()
            await self._disconnect(conn, code, reason)
            conn.finished.set()
        return conn.ws

    async def _connect(
        self, request: web.Request, client: WebSocketClient, request_id: str
    ) -> tuple[int, str, str | None]:
        """Authorize and run `$connect`: `(status, reason, function)`."""
        route = self._spec.routes.get("$connect")
        if route is None:
            return 200, "", None
        if route.authorizer:
            spec = self._spec.authorizers[route.authorizer]
            method_arn = self._api.arn("$connect")
            decision = await self._authorizers.authorize(
                spec,
                identity_values(spec, request.headers, request.query),
                method_arn,
                lambda: websocket_authorizer_event(self._api, client, request_id, method_arn),
            )
            if not decision.allowed:
                return decision.status, decision.message, spec.function
            client.authorizer = decision.context
        invocation = await self._runtime.invoke(
            route.function, websocket_connect_event(self._api, client, request_id)
        )
        if not invocation.ok:
            return 500, f"$connect failed: {(invocation.error or {}).get('errorMessage')}", route.function
        payload = invocation.payload
        status = payload.get("statusCode") if isinstance(payload, dict) else None
        if isinstance(status, int) and not 200 <= status < 300:
            return status, f"$connect answered {status}", route.function
        return 200, "", route.function

    async def _receive(self, conn: Connection) -> tuple[int, str]:
        """Dispatch messages until the socket closes: the `(status code, reason)` of the close."""
        while True:
            msg = await conn.ws.receive()
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                task = asyncio.create_task(self._on_message(conn, msg.data))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                continue
            if conn.close_code is not None:
                return conn.close_code, conn.close_reason
            if msg.type is WSMsgType.CLOSE:
                if not msg.data:
                    return 1005, "Client-side close frame status not set"
                return int(msg.data), str(msg.extra or "")
            return 1006, "Connection closed abnormally"

    async def _on_message(self, conn: Connection, data: str | bytes) -> None:
        started = time.perf_counter()
        size = len(data.encode() if isinstance(data, str) else data)
        route_key = self.select_route(data)
        request_id = new_id()
        function = None
        if route_key is None:
            status = 403
            await conn.send_json({"message": "Forbidden", "connectionId": conn.id, "requestId": request_id})
        else:
            function = self._spec.routes[route_key].function
            event = websocket_message_event(self._api, conn.client, route_key, request_id, data)
            invocation = await self._runtime.invoke(function, event)
            status = 200 if invocation.ok else 504 if invocation.status == "timeout" else 500
            if not invocation.ok:
                frame = {"message": "Internal server error", "connectionId": conn.id, "requestId": request_id}
                await conn.send_json(frame)
        log_websocket(
            "message",
            connection_id=conn.id,
            route_key=route_key,
            status=status,
            request_id=request_id,
            size=size,
            function=function,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
        )

    async def _disconnect(self, conn: Connection, code: int, reason: str) -> None:
        route = self._spec.routes.get("$disconnect")
        request_id = new_id()
        status = 200
        if route is not None:
            event = websocket_disconnect_event(self._api, conn.client, request_id, code, reason)
            invocation = await self._runtime.invoke(route.function, event)
            status = 200 if invocation.ok else 500
        log_websocket(
            "disconnect",
            connection_id=conn.id,
            route_key="$disconnect",
            status=status,
            request_id=request_id,
            function=route.function if route else None,
            reason=f"{code} {reason}".strip(),
        )
