"""Schedules fire on an advancing injected clock and run the function in a real worker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from local.scheduler import ManualClock, Scheduler
from tests.integration.local_aws.conftest import HANG_GUARD, FixtureStack, eventually


def test_rate_and_cron_schedules_fire_with_eventbridge_events(stack: FixtureStack):
    r = stack.resources

    async def scenario() -> None:
        clock = ManualClock(datetime(2030, 1, 1, 2, 28, 10, tzinfo=UTC))
        runtime = stack.runtime()
        scheduler = Scheduler(
            stack.manifest.schedules, runtime, region=r.region, account_id=r.account_id, clock=clock
        )
        task = asyncio.create_task(scheduler.run())
        try:
            clock.advance(timedelta(minutes=1))  # 02:29:10: the rate schedule's first slot
            await eventually(lambda: len(stack.logged("tick")) == 1, "the rate schedule")
            clock.advance(timedelta(minutes=1))  # 02:30:10: rate again, and cron(30 2 * * ? *)
            await eventually(lambda: len(stack.logged("tick")) == 3, "the rate and cron schedules")
        finally:
            scheduler.stop()
            await asyncio.wait_for(task, HANG_GUARD)
            await runtime.close()

    asyncio.run(scenario())

    events = stack.logged("tick")
    assert {"job": "nightly"} in events  # the Nightly schedule's Input, instead of the event
    scheduled = [e for e in events if e != {"job": "nightly"}]
    rule = f"arn:aws:events:{r.region}:{r.account_id}:rule/fixture-every-minute"
    assert [(e["time"], e["resources"]) for e in scheduled] == [
        ("2030-01-01T02:29:10Z", [rule]),
        ("2030-01-01T02:30:10Z", [rule]),
    ]  # and nothing from the disabled fixture-paused rule
    for event in scheduled:
        assert set(event) == {
            "version",
            "id",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
            "detail",
        }
        assert (event["version"], event["detail-type"], event["source"], event["detail"]) == (
            "0",
            "Scheduled Event",
            "aws.events",
            {},
        )
        assert (event["account"], event["region"]) == (r.account_id, r.region)
    assert scheduled[0]["id"] != scheduled[1]["id"]
