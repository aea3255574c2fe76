"""Dependency health: the database and the AWS endpoint, each checked with a short timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from octag import db
from octag.aws import client
from octag.config import get_settings


@dataclass
class HealthReport:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {"status": "ok", "checks": self.checks}
        failing = ", ".join(name for name, c in self.checks.items() if not c["ok"])
        return {
            "status": "unavailable",
            "checks": self.checks,
            "error": {"code": "unavailable", "message": f"Dependencies down: {failing}"},
        }


def _timed(check: Callable[[], None]) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return {
            "ok": False,
            "error": type(exc).__name__,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_database() -> None:
    with db.connection(timeout=2) as conn:
        conn.execute("SELECT 1")


def _check_aws() -> None:
    settings = get_settings()
    queue = settings.critical_events_queue_url
    sqs = client("sqs")
    if queue:
        sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    else:
        sqs.list_queues(MaxResults=1)


def check_health() -> HealthReport:
    return HealthReport({"database": _timed(_check_database), "aws": _timed(_check_aws)})
