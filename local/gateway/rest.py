"""The REST API: match a route, run its authorizer, invoke its function with a proxy event (v1)."""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from local.gateway.access_log import log_http
from local.gateway.authorizer import Authorizers, identity_values
from local.gateway.errors import error_response
from local.gateway.events import ApiInfo, HttpRequest, rest_authorizer_event, rest_proxy_event
from local.gateway.routing import NoRoute, RestRouter
from local.lambda_runtime import LambdaRuntime
from octag.manifest import Manifest

MAX_BODY = 10 * 1024 * 1024  # API Gateway's REST payload limit
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"}


def proxy_response(payload: Any) -> web.Response | None:
    """The HTTP response a Lambda proxy result maps to; None when API Gateway would answer 502."""
    if not isinstance(payload, dict):
        return None
    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    body = payload.get("body")
    if not isinstance(single, dict) or not isinstance(multi, dict) or not isinstance(body, str | None):
        return None
    if not all(isinstance(v, list) for v in multi.values()):
        return None
    headers: CIMultiDict[str] = CIMultiDict()
    multi_names = {name.lower() for name in multi}
    for name, value in single.items():
        if name.lower() not in multi_names:  # multiValueHeaders win for a name in both
            headers.add(name, str(value))
    for name, values in multi.items():
        for value in values:
            headers.add(name, str(value))
    for name in _HOP_BY_HOP:
        headers.popall(name, None)
    headers.setdefault("Content-Type", "application/json")
    data = (body or "").encode()
    if payload.get("isBase64Encoded") and body:
        try:
            data = base64.b64decode(body, validate=True)
        except binascii.Error:
            return None
    return web.Response(status=status, body=data, headers=headers)


class RestApi:
    def __init__(
        self, manifest: Manifest, runtime: LambdaRuntime, authorizers: Authorizers, api: ApiInfo
    ) -> None:
        self._manifest = manifest
        self._runtime = runtime
        self._authorizers = authorizers
        self._api = api
        self._router = RestRouter(manifest.rest_routes)

    def app(self, extra_routes: Iterable[web.RouteDef] = ()) -> web.Application:
        """The API; `extra_routes` (the web console) are matched before the manifest's routes."""
        app = web.Application(client_max_size=MAX_BODY + 1)
        app.router.add_routes(extra_routes)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        response, function = await self._dispatch(request, request_id)
        log_http(
            method=request.method,
            path=request.path,
            status=response.status,
            started=started,
            request_id=request_id,
            function=function,
        )
        return response

    async def _dispatch(self, request: web.Request, request_id: str) -> tuple[web.Response, str | None]:
        """The response and the function that produced it (None when no route matched)."""
        raw_path = request.rel_url.raw_path
        match = self._router.match(request.method, raw_path)
        if isinstance(match, NoRoute):
            if match.allowed_methods:
                allow = {"Allow": ", ".join(match.allowed_methods)}
                return error_response(405, f"{request.method} is not allowed on {request.path}", allow), None
            return error_response(404, f"No route for {request.method} {request.path}"), None
        route = match.route
        if (request.content_length or 0) > MAX_BODY:
            return error_response(413, "The request body exceeds 10 MB"), route.function
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return error_response(413, "The request body exceeds 10 MB"), route.function
        req = HttpRequest(
            method=request.method,
            path=raw_path,
            resource=route.path,
            path_parameters=match.path_parameters,
            headers=tuple(request.headers.items()),
            query=tuple(request.query.items()),
            body=body,
            source_ip=request.remote or "127.0.0.1",
            user_agent=request.headers.get("User-Agent", ""),
            domain_name=request.host,
            protocol=f"HTTP/{request.version.major}.{request.version.minor}",
            request_id=request_id,
        )
        authorizer = None
        if route.authorizer:
            spec = self._manifest.rest_authorizers[route.authorizer]
            method_arn = self._api.arn(f"{req.method}/{raw_path.lstrip('/')}")
            decision = await self._authorizers.authorize(
                spec,
                identity_values(spec, request.headers, request.query),
                method_arn,
                lambda: rest_authorizer_event(self._api, req, method_arn),
            )
            if not decision.allowed:
                return error_response(decision.status, decision.message), route.function
            authorizer = decision.context
        invocation = await self._runtime.invoke(route.function, rest_proxy_event(self._api, req, authorizer))
        if invocation.status == "timeout":
            return error_response(504, f"{route.function} timed out"), route.function
        if not invocation.ok:
            error = invocation.error or {}
            message = f"{route.function} failed: {error.get('errorType')}: {error.get('errorMessage')}"
            return error_response(502, message), route.function
        response = proxy_response(invocation.payload)
        if response is None:
            return error_response(
                502, f"{route.function} returned a malformed proxy response"
            ), route.function
        return response, route.function
