"""EventBridge schedules (SAM `Schedule` events) fired locally on an injectable clock.

`rate(...)` counts from when the scheduler starts (EventBridge counts from rule creation);
`cron(...)` uses AWS's six fields in UTC, translated to croniter. Targets are invoked
asynchronously as EventBridge does (overlapping runs allowed, no retries); slots missed while the
clock jumped (a suspended laptop, an advanced test clock) fire once, not once per slot.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from croniter import CroniterError, croniter

from local.lambda_runtime import LambdaRuntime
from octag.manifest import ManifestError, ScheduleSpec

logger = Logger(service="octag-local", child=True)


class ScheduleExpressionError(ManifestError):
    """A schedule expression AWS would reject, or that the local scheduler cannot run."""


# --- Expressions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        return moment + self.interval


@dataclass(frozen=True)
class Cron:
    expression: str  # croniter syntax: min hour dom month dow second year

    def next_after(self, moment: datetime) -> datetime:
        result: datetime = croniter(self.expression, moment).get_next(datetime)
        return result


_RATE = re.compile(r"rate\((\d+) (minute|hour|day)(s?)\)")
_UNITS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
# Allowed characters per AWS cron field: minutes, hours, day-of-month, month, day-of-week, year.
_CRON_FIELDS = (
    r"[0-9,\-*/]+",
    r"[0-9,\-*/]+",
    r"[0-9,\-*/?LW]+",
    r"[0-9A-Z,\-*/]+",
    r"[0-9A-Z,\-*?L#]+",
    r"[0-9,\-*/]+",
)
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def parse_expression(expression: str) -> Rate | Cron:
    """Parse `rate(N unit[s])` or `cron(min hour dom month dow year)` as EventBridge does."""
    text = expression.strip()
    if text.startswith("rate("):
        match = _RATE.fullmatch(text)
        if not match:
            raise ScheduleExpressionError(f"{expression!r}: expected rate(N minute[s]|hour[s]|day[s])")
        value, unit, plural = int(match[1]), match[2], match[3]
        if value < 1 or (value == 1) == bool(plural):
            raise ScheduleExpressionError(
                f"{expression!r}: the value must be positive, singular unit for 1 and plural otherwise"
            )
        return Rate(value * _UNITS[unit])
    if text.startswith("cron(") and text.endswith(")"):
        return Cron(_croniter_syntax(expression, text[5:-1].upper().split()))
    raise ScheduleExpressionError(f"{expression!r}: expected rate(...) or cron(...)")


def _croniter_syntax(expression: str, fields: list[str]) -> str:
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression!r}: cron needs 6 fields (min hour dom month dow year)")
    for value, allowed in zip(fields, _CRON_FIELDS, strict=True):
        if not re.fullmatch(allowed, value):
            raise ScheduleExpressionError(f"{expression!r}: invalid field {value!r}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(f"{expression!r}: exactly one of day-of-month and day-of-week is '?'")
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else ",".join(_weekday_item(expression, item) for item in dow.split(","))
    syntax = f"{minute} {hour} {dom} {month} {dow} 0 {year}"
    try:
        croniter(syntax, datetime(2000, 1, 1, tzinfo=UTC))
    except (CroniterError, ValueError) as exc:
        raise ScheduleExpressionError(f"{expression!r}: invalid or not supported locally ({exc})") from None
    return syntax


def _weekday_item(expression: str, item: str) -> str:
    """AWS numbers weekdays 1-7 from Sunday, croniter 0-6; `5L` (last Thursday) is croniter's `L4`."""

    def day(value: str) -> str:
        if value in _WEEKDAYS:
            return value
        if value.isdigit() and 1 <= int(value) <= 7:
            return str(int(value) - 1)
        raise ScheduleExpressionError(f"{expression!r}: invalid day of week {value!r}")

    if item == "*":
        return item
    if item == "L":  # the last day of the week
        return "6"
    if item.endswith("L"):
        return f"L{day(item[:-1])}"
    if "#" in item:
        value, _, nth = item.partition("#")
        return f"{day(value)}#{nth}"
    return "-".join(day(part) for part in item.split("-"))


# --- Clocks -------------------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime) -> None: ...


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, moment: datetime) -> None:
        # Re-check in bounded steps so a suspended machine or a clock change is noticed.
        while (remaining := (moment - self.now()).total_seconds()) > 0:
            await asyncio.sleep(min(remaining, 30.0))


class ManualClock:
    """A clock that moves only when told: tests see a schedule fire without waiting for it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._moved.set()
        self._moved = asyncio.Event()

    async def sleep_until(self, moment: datetime) -> None:
        while self._now < moment:
            await self._moved.wait()


# --- The scheduler ------------------------------------------------------------------------------


class Scheduler:
    """Invokes each enabled schedule's function with EventBridge's "Scheduled Event"."""

    def __init__(
        self,
        schedules: tuple[ScheduleSpec, ...] | list[ScheduleSpec],
        runtime: LambdaRuntime,
        *,
        region: str,
        account_id: str,
        clock: Clock | None = None,
    ) -> None:
        self._runtime = runtime
        self._region = region
        self._account_id = account_id
        self._clock: Clock = clock or SystemClock()
        self._started = self._clock.now()
        # Parsed up front: a bad expression or Input fails at start, not at the first firing.
        self._schedules = [(s, parse_expression(s.expression), _input(s)) for s in schedules if s.enabled]
        self._invocations: set[asyncio.Task[None]] = set()
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        """Fire schedules until `stop()`; then wait for the invocations already started."""
        loops = [asyncio.create_task(self._loop(*entry)) for entry in self._schedules]
        try:
            await self._stopped.wait()
        finally:
            for loop in loops:
                loop.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await asyncio.gather(*self._invocations, return_exceptions=True)

    def stop(self) -> None:
        self._stopped.set()

    async def _loop(self, spec: ScheduleSpec, expression: Rate | Cron, payload: Any) -> None:
        due = expression.next_after(self._started)
        while True:
            await self._clock.sleep_until(due)
            task = asyncio.create_task(self._invoke(spec, due, payload))
            self._invocations.add(task)
            task.add_done_callback(self._invocations.discard)
            following = expression.next_after(due)
            due = following if following > self._clock.now() else expression.next_after(self._clock.now())

    async def _invoke(self, spec: ScheduleSpec, due: datetime, payload: Any) -> None:
        event = payload if payload is not None else self.scheduled_event(spec, due)
        try:
            result = await self._runtime.invoke(spec.function, event)
        except Exception:
            logger.exception("schedule failed", extra={"schedule": spec.name, "function": spec.function})
            return
        logger.info(
            "schedule fired",
            extra={
                "schedule": spec.name,
                "function": spec.function,
                "scheduled_time": _iso(due),
                "status": result.status,
                "request_id": result.request_id,
            },
        )

    def scheduled_event(self, spec: ScheduleSpec, due: datetime) -> dict[str, Any]:
        """EventBridge's "Scheduled Event" for one firing of `spec`."""
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._account_id,
            "time": _iso(due),
            "region": self._region,
            "resources": [f"arn:aws:events:{self._region}:{self._account_id}:rule/{spec.name}"],
            "detail": {},
        }


def _input(spec: ScheduleSpec) -> Any:
    """The schedule's `Input` (a JSON document, as EventBridge passes it) or None."""
    if spec.input is None or not isinstance(spec.input, str):
        return spec.input
    try:
        return json.loads(spec.input)
    except ValueError as exc:
        raise ScheduleExpressionError(f"schedule {spec.name}: Input is not JSON ({exc})") from None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
