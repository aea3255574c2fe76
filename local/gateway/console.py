"""The web test console: static files from `local/console/` on the REST port, at `/console`.

No auth and no build step: the page calls the REST API on the same origin and learns the
WebSocket URL from `/console/config.json` (the host the browser used, the gateway's WebSocket port).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web
from yarl import URL

from local.gateway.access_log import log_http
from local.gateway.errors import error_response

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_NO_CACHE = {"Cache-Control": "no-cache"}  # edits show on reload

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _logged(handler: Handler) -> Handler:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        response = await handler(request)
        log_http(
            method=request.method,
            path=request.path,
            status=response.status,
            started=started,
            request_id=str(uuid.uuid4()),
            function=None,
        )
        return response

    return wrapper


def console_routes(websocket_url: Callable[[], str], root: Path = CONSOLE_DIR) -> list[web.RouteDef]:
    """GET routes for the console; `websocket_url` gives the gateway's bound WebSocket URL."""

    def file_response(name: str) -> web.StreamResponse:
        path = (root / name).resolve()
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or path.parent != root.resolve() or not path.is_file():
            return error_response(404, f"No console file {name!r}")
        return web.Response(
            body=path.read_bytes(), content_type=content_type, charset="utf-8", headers=_NO_CACHE
        )

    async def index(request: web.Request) -> web.StreamResponse:
        return file_response("index.html")

    async def asset(request: web.Request) -> web.StreamResponse:
        return file_response(request.match_info["name"])

    async def config(request: web.Request) -> web.StreamResponse:
        bound = URL(websocket_url())
        # The page's own host (localhost or 127.0.0.1), the gateway's WebSocket port.
        url = bound.with_host(request.url.host or "127.0.0.1") if bound.port else bound
        return web.json_response({"websocketUrl": str(url)}, headers=_NO_CACHE)

    return [
        web.get("/console", _logged(index)),
        web.get("/console/", _logged(index)),
        web.get("/console/config.json", _logged(config)),
        web.get("/console/{name}", _logged(asset)),  # one path segment: nothing outside the directory
    ]
