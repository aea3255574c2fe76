"""The registry of live WebSocket connections (DynamoDB): who is on which connection, until when."""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger

from octag.aws import client
from octag.config import get_settings

logger = Logger(child=True)
CONNECTION_TTL = 2 * 60 * 60  # API Gateway closes every WebSocket after two hours


def register(connection_id: str, user_id: str) -> None:
    table = get_settings().connections_table
    if not table:
        logger.debug("no connections table configured")
        return
    now = int(time.time())
    client("dynamodb").put_item(
        TableName=table,
        Item={
            "connectionId": {"S": connection_id},
            "userId": {"S": user_id},
            "connectedAt": {"N": str(now)},
            "ttl": {"N": str(now + CONNECTION_TTL)},
        },
    )


def remove(connection_id: str) -> None:
    table = get_settings().connections_table
    if table:
        client("dynamodb").delete_item(TableName=table, Key={"connectionId": {"S": connection_id}})


def owner(connection_id: str) -> str | None:
    """The user of a live connection, or None for an unknown (closed, expired) one."""
    table = get_settings().connections_table
    if not table:
        return None
    item = (
        client("dynamodb")
        .get_item(TableName=table, Key={"connectionId": {"S": connection_id}}, ConsistentRead=True)
        .get("Item")
    )
    if item is None or int(item["ttl"]["N"]) < time.time():
        return None
    return str(item["userId"]["S"])
