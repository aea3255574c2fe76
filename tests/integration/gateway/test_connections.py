"""The @connections management API, driven by boto3's apigatewaymanagementapi client."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import boto3
import pytest

from tests.integration.gateway.support import (
    RunningGateway,
    close_frame,
    eventually,
    open_ws,
    receive,
    whoami,
)


@pytest.fixture(scope="module")
def api(running: RunningGateway) -> Any:
    return running.management_client()


def test_post_to_connection_arrives_as_text_or_binary(running: RunningGateway, api: Any) -> None:
    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]

        api.post_to_connection(ConnectionId=connection_id, Data=json.dumps({"type": "pong"}).encode())
        assert receive(ws) == '{"type": "pong"}'
        api.post_to_connection(ConnectionId=connection_id, Data=b"\x80\x81")
        assert receive(ws) == b"\x80\x81"


def test_stage_prefixed_endpoint_works_too(running: RunningGateway) -> None:
    staged = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{running.gateway.management_url}/test",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with open_ws(running.gateway.ws_url) as ws:
        staged.post_to_connection(ConnectionId=whoami(ws)["connectionId"], Data=b"staged")
        assert receive(ws) == "staged"


def test_get_connection_describes_it(running: RunningGateway, api: Any) -> None:
    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        described = api.get_connection(ConnectionId=connection_id)

    assert isinstance(described["ConnectedAt"], datetime)
    assert described["LastActiveAt"] >= described["ConnectedAt"]
    assert described["Identity"]["SourceIp"] == "127.0.0.1"
    assert "websockets" in described["Identity"]["UserAgent"]


def test_delete_connection_closes_it_and_later_posts_are_gone(running: RunningGateway, api: Any) -> None:
    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        api.delete_connection(ConnectionId=connection_id)
        code, _ = close_frame(ws)

    assert code == 1000
    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"too late")
    with pytest.raises(api.exceptions.GoneException):
        api.get_connection(ConnectionId=connection_id)


def test_closed_and_unknown_connections_are_gone(running: RunningGateway, api: Any) -> None:
    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]

    with pytest.raises(api.exceptions.GoneException):
        api.post_to_connection(ConnectionId=connection_id, Data=b"closed")
    with pytest.raises(api.exceptions.GoneException):
        api.delete_connection(ConnectionId="bm9zdWNoaWQ=")


def test_posting_over_128_kb_is_payload_too_large(running: RunningGateway, api: Any) -> None:
    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        with pytest.raises(api.exceptions.PayloadTooLargeException):
            api.post_to_connection(ConnectionId=connection_id, Data=b"x" * (128 * 1024 + 1))
        api.post_to_connection(ConnectionId=connection_id, Data=b"still open")
        assert receive(ws) == "still open"


def test_the_chat_sender_stops_at_a_gone_client_and_retries_throttling(running: RunningGateway) -> None:
    from botocore.stub import Stubber

    from octag.chat.sender import ConnectionSender

    with open_ws(running.gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        sender = ConnectionSender(running.gateway.management_url, connection_id)
        assert sender.send({"type": "chunk", "text": "안녕"})
        assert json.loads(receive(ws)) == {"type": "chunk", "text": "안녕"}
    closed = ConnectionSender(running.gateway.management_url, connection_id)
    assert eventually(lambda: closed.send({"type": "chunk", "text": "x"}) is False or None) is True
    assert closed.gone and closed.send({"type": "done"}) is False  # no more calls once gone

    # API Gateway throttles @connections calls under load; the sender backs off and tries again.
    throttled = ConnectionSender(running.gateway.management_url, "any")
    with Stubber(throttled._api) as stub:
        for _ in range(2):
            stub.add_client_error("post_to_connection", "LimitExceededException", http_status_code=429)
        stub.add_response("post_to_connection", {})
        assert throttled.send({"type": "chunk", "text": "x"}) is True
        stub.assert_no_pending_responses()
