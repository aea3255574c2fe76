"""SQS record handler for the event queues: validate, then store idempotently."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from octag import db
from octag.events.schema import Event
from octag.events.store import record_event

logger = Logger(child=True)


def consume_event_record(record: SQSRecord) -> None:
    """Raises on an invalid body so the record is retried and, past maxReceiveCount, dead-lettered."""
    event = Event.model_validate_json(record.body)
    with db.connection() as conn:
        stored = record_event(conn, event)
    logger.info(
        "event consumed",
        extra={"event_id": str(event.event_id), "event_type": event.event_type, "duplicate": not stored},
    )
