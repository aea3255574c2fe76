"""Local API Gateway built from the route manifest.

The REST API (payload v1 proxy events, Lambda REQUEST authorizers) listens on one port; the
WebSocket API and its `@connections` management API share the other, as `octag up` documents.
Every function runs in the `LambdaRuntime`'s execution environments.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from local.gateway.authorizer import Authorizers
from local.gateway.connections import ConnectionRegistry, ConnectionsApi
from local.gateway.console import console_routes
from local.gateway.events import ApiInfo, stable_id
from local.gateway.rest import RestApi
from local.gateway.websocket import WebSocketApi
from local.lambda_runtime import LambdaRuntime
from octag.config import get_settings
from octag.manifest import Manifest

__all__ = ["Gateway"]


class Gateway:
    def __init__(
        self,
        manifest: Manifest,
        runtime: LambdaRuntime,
        *,
        host: str = "127.0.0.1",
        http_port: int = 3000,
        ws_port: int = 3001,
        idle_timeout: float = 600,
    ) -> None:
        region = get_settings().aws_region
        authorizers = Authorizers(runtime)
        rest_api = ApiInfo(stable_id(f"{manifest.path}#rest"), manifest.stage, region)
        self._rest = RestApi(manifest, runtime, authorizers, rest_api)
        self._registry = ConnectionRegistry()
        self._websocket: WebSocketApi | None = None
        if manifest.websocket is not None:
            spec = manifest.websocket
            ws_api = ApiInfo(stable_id(f"{manifest.path}#{spec.logical_id}"), spec.stage, region)
            self._websocket = WebSocketApi(spec, runtime, authorizers, ws_api, self._registry, idle_timeout)
        self._host = host
        self._ports = (http_port, ws_port)
        self._runners: list[web.AppRunner] = []
        self.http_url = self.ws_url = self.management_url = ""

    async def start(self) -> None:
        """Bind both ports (0 picks a free one) and fill in the URLs."""
        ws_app = web.Application()
        ConnectionsApi(self._registry).add_routes(ws_app)
        if self._websocket is not None:
            self._websocket.add_routes(ws_app)
        try:
            rest_app = self._rest.app(console_routes(lambda: self.ws_url))
            http_port = await self._serve(rest_app, self._ports[0])
            ws_port = await self._serve(ws_app, self._ports[1])
        except BaseException:
            await self.stop()
            raise
        self.http_url = f"http://{self._host}:{http_port}"
        self.ws_url = f"ws://{self._host}:{ws_port}"
        self.management_url = f"http://{self._host}:{ws_port}"

    async def _serve(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._runners.append(runner)
        await web.TCPSite(runner, self._host, port).start()
        return int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Close every WebSocket (each runs `$disconnect`), finish in-flight messages, stop serving."""
        connections = list(self._registry.values())
        for conn in connections:
            conn.close_soon(1001, "Going away")
        await asyncio.gather(*(conn.finished.wait() for conn in connections))
        if self._websocket is not None:
            await self._websocket.drain()
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()
