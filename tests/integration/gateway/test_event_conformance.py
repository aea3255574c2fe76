"""The gateway's events have the structure of AWS's documented samples and parse with Powertools.

Each comparison walks AWS's sample and the event the gateway built: same keys, same JSON types,
recursively. Values differ. Maps whose keys are data (headers, query strings, authorizer context)
are compared as maps only; each documented difference is listed where it is allowed.
"""

from __future__ import annotations

import json
import uuid
from functools import partial
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, APIGatewayWebSocketEvent
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
    parse_api_gateway_arn,
)
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)

from local.gateway import Gateway
from tests.integration.gateway.support import FIXTURES, HANG_GUARD, Recorder, eventually, open_ws, whoami
from tests.support.event_shapes import shape_mismatches


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "aws_events" / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def rest_events(gateway: Gateway, recorder: Recorder) -> tuple[dict[str, Any], dict[str, Any]]:
    """(proxy event, authorizer event) of one authorized request with a query string and a body."""
    token = f"good-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=gateway.http_url, timeout=HANG_GUARD) as http:
        response = http.request(
            "GET", "/private/5?a=1&a=2", content=b"hello", headers={"Authorization": token}
        )
    assert response.status_code == 200
    authorizer_event = next(
        e for e in recorder.authorizer_events() if (e.get("headers") or {}).get("Authorization") == token
    )
    return response.json(), authorizer_event


@pytest.fixture(scope="module")
def websocket_events(gateway: Gateway, recorder: Recorder) -> dict[str, dict[str, Any]]:
    """Connect, message and disconnect events of one connection, plus its authorizer event."""
    token = f"good-{uuid.uuid4().hex[:8]}"
    with open_ws(gateway.ws_url, f"token={token}") as ws:
        connection_id = whoami(ws)["connectionId"]
    events = {
        kind: eventually(partial(recorder.websocket_event, connection_id, kind))
        for kind in ("connect", "message", "disconnect")
    }
    events["authorizer"] = next(
        e
        for e in recorder.authorizer_events()
        if (e.get("queryStringParameters") or {}).get("token") == token
    )
    return events


def test_rest_proxy_event_matches_aws_sample(rest_events: tuple[dict[str, Any], dict[str, Any]]) -> None:
    event, _ = rest_events

    # A client certificate is only present with mutual TLS.
    assert (
        shape_mismatches(
            sample("rest_proxy_event.json"), event, optional=frozenset({"requestContext.identity.clientCert"})
        )
        == []
    )
    parsed = APIGatewayProxyEvent(event)
    assert parsed.path_parameters == {"id": "5"}
    assert parsed.resolved_query_string_parameters == {"a": ["1", "2"]}
    assert parsed.request_context.authorizer.principal_id == "user-1"
    assert parsed.request_context.identity.source_ip == "127.0.0.1"
    assert parsed.body == "hello"
    model = APIGatewayProxyEventModel.model_validate(event)
    assert model.requestContext.stage == "test"


def test_rest_authorizer_event_matches_aws_sample(rest_events: tuple[dict[str, Any], dict[str, Any]]) -> None:
    proxy_event, event = rest_events

    assert (
        shape_mismatches(
            sample("rest_authorizer_request_event.json"),
            event,
            optional=frozenset({"requestContext.identity.apiKey"}),  # API keys only with usage plans
            extra=frozenset({"multiValueHeaders", "multiValueQueryStringParameters"}),
            open_maps=frozenset({"requestContext", "requestContext.identity"}),
        )
        == []
    )
    # The authorizer sees the same request context as the integration, minus the authorizer.
    integration_context = {k: v for k, v in proxy_event["requestContext"].items() if k != "authorizer"}
    assert shape_mismatches(integration_context, event["requestContext"], path="requestContext") == []
    parsed = APIGatewayAuthorizerRequestEvent(event)
    assert parsed.get_type == "REQUEST"
    assert (parsed.parsed_arn.http_method, parsed.parsed_arn.resource) == ("GET", "private/5")
    assert parsed.headers["Authorization"].startswith("good-")


def test_websocket_connect_event_matches_aws_sample(websocket_events: dict[str, dict[str, Any]]) -> None:
    event = websocket_events["connect"]

    # The query string keys appear when the URL has one; the authorizer context with an authorizer.
    assert (
        shape_mismatches(
            sample("websocket_connect_event.json"),
            event,
            extra=frozenset(
                {"queryStringParameters", "multiValueQueryStringParameters", "requestContext.authorizer"}
            ),
        )
        == []
    )
    parsed = APIGatewayWebSocketEvent(event)
    assert (parsed.request_context.route_key, parsed.request_context.event_type) == ("$connect", "CONNECT")
    assert APIGatewayWebSocketConnectEventModel.model_validate(event).request_context.connection_id


def test_websocket_message_event_matches_aws_sample(websocket_events: dict[str, dict[str, Any]]) -> None:
    event = websocket_events["message"]

    assert (
        shape_mismatches(
            sample("websocket_message_event.json"), event, extra=frozenset({"requestContext.authorizer"})
        )
        == []
    )
    parsed = APIGatewayWebSocketEvent(event)
    assert parsed.json_body == {"action": "whoami"}
    assert parsed.request_context.message_id
    assert APIGatewayWebSocketMessageEventModel.model_validate(event).request_context.route_key == "whoami"


def test_websocket_disconnect_event_matches_aws_sample(websocket_events: dict[str, dict[str, Any]]) -> None:
    event = websocket_events["disconnect"]

    assert (
        shape_mismatches(
            sample("websocket_disconnect_event.json"), event, extra=frozenset({"requestContext.authorizer"})
        )
        == []
    )
    parsed = APIGatewayWebSocketEvent(event)
    assert parsed.request_context.disconnect_status_code == 1000
    model = APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    assert model.request_context.event_type == "DISCONNECT"


def test_websocket_authorizer_event_matches_aws_sample(websocket_events: dict[str, dict[str, Any]]) -> None:
    event = websocket_events["authorizer"]

    assert shape_mismatches(sample("websocket_authorizer_request_event.json"), event) == []
    arn = parse_api_gateway_arn(
        APIGatewayAuthorizerRequestEvent(event).method_arn, is_websocket_authorizer=True
    )
    assert (arn.stage, arn.resource) == ("test", "$connect")


def test_the_comparison_catches_a_missing_key_and_a_wrong_type() -> None:
    aws = sample("websocket_message_event.json")
    broken = json.loads(json.dumps(aws))
    del broken["requestContext"]["messageId"]
    broken["requestContext"]["connectedAt"] = "yesterday"

    assert shape_mismatches(aws, broken) == [
        "requestContext.messageId: missing",
        "requestContext.connectedAt: str, AWS sends int",
    ]
