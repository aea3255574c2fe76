"""FastAPI app factory shared by every REST function: JSON errors, a body size limit, Lambda adapter."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from mangum import Mangum
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from octag.config import get_settings
from octag.errors import OctagError

logger = Logger(child=True)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, **extra}}, status_code=status, headers=headers
    )


class BodySizeLimit:
    """Answers 413 to a request body larger than `max_bytes`, declared (Content-Length) or actual.

    Lambda hands the whole body over at once, so reading it before the app costs nothing extra.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        body, more = b"", True
        too_large = declared.isdigit() and int(declared) > self.max_bytes
        while more and not too_large:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            too_large = len(body) > self.max_bytes
        if too_large:
            response = error_response(
                413, "payload_too_large", f"The request body exceeds {self.max_bytes} bytes."
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def create_app(title: str) -> FastAPI:
    app = FastAPI(title=f"Octag {title}", version="0.1.0")
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().max_request_bytes)

    @app.exception_handler(OctagError)
    async def _octag_error(_: Request, exc: OctagError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(400, "malformed_json", "The request body is not valid JSON.")
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return error_response(422, "validation_error", "The request is not valid.", details=details)

    app.add_exception_handler(Exception, unexpected_error)
    return app


async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    """A 500 that says nothing about the failure; the log has the stack trace."""
    logger.exception("unhandled error")
    return error_response(500, "internal_error", "Something went wrong on our side.")


def lambda_handler(app: FastAPI) -> Mangum:
    """The Lambda entry point for an app: API Gateway REST (payload v1) events in, responses out."""
    return Mangum(app, lifespan="off", api_gateway_base_path="/")
