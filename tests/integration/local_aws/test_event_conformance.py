"""SQS and scheduled events have the structure of AWS's documented samples and parse with Powertools."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, SQSEvent
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsModel

from local.scheduler import Scheduler
from tests.integration.local_aws.conftest import FixtureStack, eventually
from tests.support.event_shapes import shape_mismatches

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "aws_events"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / name).read_text(encoding="utf-8")))


def test_sqs_event_matches_aws_sample(stack: FixtureStack):
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.resources.refs["PlainQueue"], MessageBody="conformance")

    async def scenario() -> None:
        async with stack.consuming("PlainQueue"):
            await eventually(lambda: stack.logged("consumer"), "the delivery")

    asyncio.run(scenario())
    event = {"Records": [stack.logged("consumer")[0]["record"]]}

    assert shape_mismatches(sample("sqs_event.json"), event) == []
    record = next(iter(SQSEvent(event).records))
    assert record.body == "conformance"
    assert record.attributes.approximate_receive_count == "1"
    assert (
        SqsModel.model_validate(event).Records[0].eventSourceARN
        == stack.resources.attrs[("PlainQueue", "Arn")]
    )


def test_scheduled_event_matches_aws_sample(stack: FixtureStack):
    r = stack.resources
    scheduler = Scheduler(stack.manifest.schedules, stack.runtime(), region=r.region, account_id=r.account_id)
    spec = next(s for s in stack.manifest.schedules if s.input is None)
    event = scheduler.scheduled_event(spec, datetime(2030, 1, 1, 2, 30, tzinfo=UTC))

    assert shape_mismatches(sample("scheduled_event.json"), event) == []
    parsed = EventBridgeEvent(event)
    assert (parsed.detail_type, parsed.source, parsed.region) == ("Scheduled Event", "aws.events", r.region)
    assert EventBridgeModel.model_validate(event).time == datetime(2030, 1, 1, 2, 30, tzinfo=UTC)
