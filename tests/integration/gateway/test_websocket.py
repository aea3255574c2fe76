"""WebSocket API: $connect in the handshake, route selection, $disconnect, limits, idle timeout."""

from __future__ import annotations

import base64
import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from local.gateway import Gateway
from tests.integration.gateway.support import (
    HANG_GUARD,
    Recorder,
    RunningGateway,
    close_frame,
    eventually,
    open_ws,
    receive,
    receive_json,
    whoami,
)


def test_messages_are_routed_on_the_action_field(gateway: Gateway) -> None:
    with open_ws(gateway.ws_url) as ws:
        ws.send(json.dumps({"action": "echo", "data": "hello"}))
        assert receive(ws) == "hello"

        ws.send(json.dumps({"action": "undeclared", "data": 1}))
        assert receive_json(ws)["route"] == "$default"

        ws.send("not json at all")
        assert receive_json(ws) == {"route": "$default", "body": "not json at all", "isBase64Encoded": False}


def test_route_return_values_are_not_sent_to_the_client(gateway: Gateway) -> None:
    with open_ws(gateway.ws_url) as ws:
        for data in ("one", "two"):
            ws.send(json.dumps({"action": "echo", "data": data}))
            assert receive(ws) == data  # never the function's own return body


def test_binary_frames_reach_default_base64_and_binary_posts_arrive_binary(gateway: Gateway) -> None:
    with open_ws(gateway.ws_url) as ws:
        ws.send(b"\x00\x01\xff")
        reply = receive_json(ws)
        assert reply["isBase64Encoded"] is True
        assert base64.b64decode(reply["body"]) == b"\x00\x01\xff"

        ws.send(json.dumps({"action": "echo", "base64": base64.b64encode(b"\xff\xfe").decode()}))
        assert receive(ws) == b"\xff\xfe"


def test_connect_carries_the_authorizer_context_to_every_route(gateway: Gateway, recorder: Recorder) -> None:
    with open_ws(gateway.ws_url) as ws:
        me = whoami(ws)

    assert me["authorizer"]["principalId"] == "user-1"
    assert me["authorizer"]["user"] == "alice"
    connect_event = recorder.websocket_event(me["connectionId"], "connect")
    assert connect_event is not None
    assert connect_event["requestContext"]["authorizer"]["principalId"] == "user-1"
    assert connect_event["queryStringParameters"]["token"].startswith("good")


def test_the_stage_path_is_accepted(gateway: Gateway) -> None:
    with open_ws(f"{gateway.ws_url}/test") as ws:
        assert whoami(ws)["connectionId"]


def test_closing_runs_disconnect_with_the_client_close_code(gateway: Gateway, recorder: Recorder) -> None:
    with open_ws(gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        ws.close(code=4000, reason="bye")

    event = eventually(lambda: recorder.websocket_event(connection_id, "disconnect"))
    ctx = event["requestContext"]
    assert ctx["routeKey"] == "$disconnect"
    assert ctx["eventType"] == "DISCONNECT"
    assert (ctx["disconnectStatusCode"], ctx["disconnectReason"]) == (4000, "bye")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 401),  # no identity source: the authorizer is not even asked
        ("token=bad", 403),  # the authorizer denies
        ("token=broken", 500),  # the authorizer fails
        ("token=good&reject=403", 403),  # $connect answers a non-2xx status
        ("token=good&crash=1", 500),  # $connect raises
    ],
)
def test_rejected_connect_fails_the_handshake_with_its_status(
    gateway: Gateway, query: str, status: int
) -> None:
    with pytest.raises(InvalidStatus) as rejected:
        connect(f"{gateway.ws_url}?{query}" if query else gateway.ws_url, open_timeout=HANG_GUARD)

    assert rejected.value.response.status_code == status


def test_a_failing_route_sends_api_gateways_error_frame(gateway: Gateway) -> None:
    with open_ws(gateway.ws_url) as ws:
        ws.send(json.dumps({"action": "fail"}))
        frame = receive_json(ws)
        connection_id = whoami(ws)["connectionId"]

    assert frame["message"] == "Internal server error"
    assert frame["connectionId"] == connection_id
    assert frame["requestId"]


def test_without_default_route_unmatched_messages_get_forbidden(no_default_gateway: RunningGateway) -> None:
    with open_ws(no_default_gateway.gateway.ws_url) as ws:
        ws.send(json.dumps({"action": "nothing-here"}))
        frame = receive_json(ws)

    assert frame["message"] == "Forbidden"
    assert set(frame) == {"message", "connectionId", "requestId"}


def test_a_frame_over_32_kb_closes_with_1009(gateway: Gateway, recorder: Recorder) -> None:
    with open_ws(gateway.ws_url) as ws:
        connection_id = whoami(ws)["connectionId"]
        code, reason = close_frame(ws, "x" * (32 * 1024 + 1))

    assert code == 1009
    assert "32 KB frame limit" in reason
    event = eventually(lambda: recorder.websocket_event(connection_id, "disconnect"))
    assert event["requestContext"]["disconnectStatusCode"] == 1009


def test_a_message_over_128_kb_in_small_frames_closes_with_1009(gateway: Gateway) -> None:
    with open_ws(gateway.ws_url) as ws:
        # Five frames within the frame limit, 150,000 bytes in all.
        code, reason = close_frame(ws, iter(["y" * 30_000] * 5))

    assert code == 1009
    assert "128 KB" in reason


def test_a_message_of_exactly_128_kb_in_32_kb_frames_is_accepted(gateway: Gateway) -> None:
    message = json.dumps({"action": "whoami", "pad": ""})
    message = message.replace('""', '"' + "z" * (128 * 1024 - len(message)) + '"')
    frames = [message[i : i + 32 * 1024] for i in range(0, len(message), 32 * 1024)]
    assert len(message) == 128 * 1024 and len(frames) == 4

    with open_ws(gateway.ws_url) as ws:
        ws.send(iter(frames))
        assert receive_json(ws)["connectionId"]


def test_an_idle_connection_is_closed(no_default_gateway: RunningGateway) -> None:
    with open_ws(no_default_gateway.gateway.ws_url) as ws:
        code, reason = close_frame(ws)

    assert code == 1001
    assert "idle" in reason.lower()
