"""Hourly maintenance (EventBridge schedule): prune analytics events past their retention."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from octag import db
from octag.config import get_settings
from octag.events.store import prune_events

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    retention = get_settings().event_retention_days
    with db.connection() as conn:
        pruned = prune_events(conn, retention)
    logger.info("events pruned", extra={"pruned": pruned, "retention_days": retention})
    return {"pruned": pruned}
