"""Errors the gateway itself answers, in the project's JSON shape `{"error": {"code", "message"}}`."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    500: "internal_error",
    502: "bad_gateway",
    504: "gateway_timeout",
}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    code = CODES.get(status, "error")
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)
