"""Structured access logs: one JSON line per HTTP request and per WebSocket connect, frame, disconnect."""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger

logger = Logger(service="octag-gateway", child=False)


def log_http(
    *, method: str, path: str, status: int, started: float, request_id: str, function: str | None
) -> None:
    """`started` is a `time.perf_counter()` reading taken when the request arrived."""
    logger.info(
        "http",
        extra={
            "method": method,
            "path": path,
            "status": status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            "request_id": request_id,
            "function": function,
        },
    )


def log_websocket(
    event: str,
    *,
    connection_id: str,
    route_key: str | None,
    status: int,
    request_id: str | None = None,
    size: int | None = None,
    function: str | None = None,
    reason: str | None = None,
    latency_ms: float | None = None,
) -> None:
    logger.info(
        event,
        extra={
            "connection_id": connection_id,
            "route_key": route_key,
            "status": status,
            "request_id": request_id,
            "size": size,
            "function": function,
            "reason": reason,
            "latency_ms": latency_ms,
        },
    )
