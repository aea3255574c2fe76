"""Pushes JSON frames to WebSocket clients through API Gateway's `@connections` API."""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import ClientError

from octag.aws import client
from octag.config import get_settings

_THROTTLED = {"LimitExceededException", "TooManyRequestsException", "ThrottlingException"}
_RETRIES = 5


def management_endpoint(domain_name: str | None, stage: str | None) -> str:
    """`@connections` endpoint: configured (local runtime, CDK) or derived from the request as in AWS."""
    configured = get_settings().websocket_endpoint_url
    if configured:
        return configured
    return f"https://{domain_name}/{stage}"


class ConnectionSender:
    """Frames to one connection. After the client is gone (410), every send is a no-op returning False."""

    def __init__(self, endpoint_url: str, connection_id: str) -> None:
        self._api = client("apigatewaymanagementapi", endpoint_url=endpoint_url)
        self.connection_id = connection_id
        self.gone = False

    def send(self, frame: dict[str, Any]) -> bool:
        """Send one frame, retrying throttled calls with backoff; False once the client is gone."""
        if self.gone:
            return False
        data = json.dumps(frame, ensure_ascii=False).encode()
        for attempt in range(_RETRIES):
            try:
                self._api.post_to_connection(ConnectionId=self.connection_id, Data=data)
                return True
            except self._api.exceptions.GoneException:
                self.gone = True
                return False
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in _THROTTLED or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        return False
