"""Pushes JSON frames to WebSocket clients through API Gateway's `@connections` API."""

from __future__ import annotations

import json
from typing import Any

from octag.aws import client
from octag.config import get_settings


def management_endpoint(domain_name: str | None, stage: str | None) -> str:
    """`@connections` endpoint: configured (local runtime, CDK) or derived from the request as in AWS."""
    configured = get_settings().websocket_endpoint_url
    if configured:
        return configured
    return f"https://{domain_name}/{stage}"


class ConnectionSender:
    def __init__(self, endpoint_url: str) -> None:
        self._api = client("apigatewaymanagementapi", endpoint_url=endpoint_url)

    def send(self, connection_id: str, frame: dict[str, Any]) -> bool:
        """Send one frame; False when the client is gone (410), so the caller can stop and clean up."""
        try:
            self._api.post_to_connection(
                ConnectionId=connection_id, Data=json.dumps(frame, ensure_ascii=False).encode()
            )
        except self._api.exceptions.GoneException:
            return False
        return True
