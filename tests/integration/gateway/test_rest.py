"""REST API: proxy events in, proxy responses out, gateway errors as JSON."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.gateway import Gateway
from tests.integration.gateway.support import HANG_GUARD


@pytest.fixture(scope="module")
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.http_url, timeout=HANG_GUARD) as client:
        yield client


def echo(http: httpx.Client, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    response = http.request(method, url, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def test_round_trip_carries_path_query_and_headers(http: httpx.Client) -> None:
    event = echo(
        http,
        "GET",
        "/items/42?color=red&size=s&size=m&empty=",
        headers=[("X-Trace", "one"), ("X-Multi", "a"), ("X-Multi", "b")],
    )

    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "red", "size": "m", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"color": ["red"], "size": ["s", "m"], "empty": [""]}
    assert event["headers"]["X-Trace"] == "one"
    assert event["headers"]["X-Multi"] == "b"
    assert event["multiValueHeaders"]["X-Multi"] == ["a", "b"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    ctx = event["requestContext"]
    assert ctx["path"] == "/test/items/42"
    assert ctx["stage"] == "test"
    assert ctx["resourcePath"] == "/items/{id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["identity"]["userAgent"].startswith("python-httpx")
    assert "authorizer" not in ctx


def test_absent_query_string_is_null_like_aws(http: httpx.Client) -> None:
    event = echo(http, "POST", "/echo", content=b'{"hello": "world"}')

    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] == '{"hello": "world"}'
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("path", "resource", "params"),
    [
        ("/items/special", "/items/special", None),
        ("/items/7", "/items/{id}", {"id": "7"}),
        ("/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),
    ],
)
def test_exact_paths_beat_templates_beat_greedy(
    http: httpx.Client, path: str, resource: str, params: dict[str, str] | None
) -> None:
    event = echo(http, "GET", path)

    assert event["resource"] == resource
    assert event["pathParameters"] == params


def test_any_method_route_serves_every_method(http: httpx.Client) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        assert echo(http, method, "/echo")["httpMethod"] == method


def test_unknown_path_is_404_json(http: httpx.Client) -> None:
    response = http.get("/nowhere")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_known_path_with_other_method_is_405_json(http: httpx.Client) -> None:
    response = http.delete("/items/1")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["Allow"] == "GET"


def test_binary_request_is_base64_and_binary_response_is_decoded(http: httpx.Client) -> None:
    payload = bytes(range(256))

    event = echo(http, "POST", "/echo", content=payload, headers={"Content-Type": "image/png"})
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == payload

    event = echo(http, "POST", "/echo", content=b"\xff\xfe not utf-8")
    assert event["isBase64Encoded"] is True

    response = http.post("/binary", content=payload, headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 201
    assert response.content == payload[::-1]
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_response_headers_and_multi_value_headers_are_merged(http: httpx.Client) -> None:
    response = http.post("/binary", content=b"x")

    assert response.headers["X-Single"] == "one"
    assert response.headers.get_list("Set-Cookie") == ["a=1", "b=2"]
    # For a name in both maps, multiValueHeaders win (as documented by AWS).
    assert response.headers.get_list("X-Both") == ["m1", "m2"]


def test_timeout_answers_504_json(http: httpx.Client) -> None:
    response = http.get("/sleep")

    assert response.status_code == 504
    assert response.json()["error"]["code"] == "gateway_timeout"


def test_handler_exception_answers_502_json(http: httpx.Client) -> None:
    response = http.get("/fail")

    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "bad_gateway"
    assert "RuntimeError" in error["message"]


def test_malformed_proxy_response_answers_502_json(http: httpx.Client) -> None:
    response = http.get("/malformed")

    assert response.status_code == 502
    assert "malformed" in response.json()["error"]["message"]


def test_body_over_10_mb_answers_413_json(http: httpx.Client) -> None:
    response = http.post("/echo", content=b"x" * (10 * 1024 * 1024 + 1))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
