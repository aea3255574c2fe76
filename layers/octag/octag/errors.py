"""Errors a client should see: an HTTP status, a stable code and a human message.

Domain code raises them; `octag.web` turns them into `{"error": {"code", "message"}}` responses.
"""

from __future__ import annotations


class OctagError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.headers = headers


class InvalidInput(OctagError):
    status, code = 422, "validation_error"


class Unauthorized(OctagError):
    status, code = 401, "unauthorized"


class Forbidden(OctagError):
    status, code = 403, "forbidden"


class NotFound(OctagError):
    status, code = 404, "not_found"


class Conflict(OctagError):
    status, code = 409, "conflict"


class TooManyRequests(OctagError):
    status, code = 429, "too_many_requests"
