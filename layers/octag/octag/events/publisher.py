"""Publishes events to SQS: important ones to the critical queue, the rest to the batch queue.

Publishing never fails the caller's request: a lost analytics event is logged, not raised.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from octag.aws import client
from octag.config import get_settings
from octag.events.schema import Event

logger = Logger(child=True)


def publish(event: Event, *, important: bool = False) -> bool:
    settings = get_settings()
    queue_url = settings.critical_events_queue_url if important else settings.batch_events_queue_url
    if not queue_url:
        logger.debug("no event queue configured", extra={"event_type": event.event_type})
        return False
    try:
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=event.model_dump_json())
    except (BotoCoreError, ClientError):
        logger.exception("event not published", extra={"event_type": event.event_type})
        return False
    return True
