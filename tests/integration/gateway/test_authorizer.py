"""Lambda REQUEST authorizers on REST routes: 401 / 403 / allow, context, policy caching."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from local.gateway import Gateway
from tests.integration.gateway.support import HANG_GUARD, Recorder


@pytest.fixture(scope="module")
def http(gateway: Gateway) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.http_url, timeout=HANG_GUARD) as client:
        yield client


def token(prefix: str) -> str:
    """A fresh identity, so cache entries of other tests do not interfere."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_missing_identity_source_is_401_without_invoking_the_authorizer(
    http: httpx.Client, recorder: Recorder
) -> None:
    before = len(recorder.authorizer_events())

    response = http.get("/private/1")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert len(recorder.authorizer_events()) == before


def test_allowed_request_reaches_the_function_with_the_authorizer_context(http: httpx.Client) -> None:
    response = http.get("/private/1", headers={"Authorization": token("good")})

    assert response.status_code == 200
    authorizer = response.json()["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    # REST APIs hand context values to the integration as strings.
    assert (authorizer["user"], authorizer["tier"], authorizer["admin"]) == ("alice", "3", "false")


def test_denied_request_is_403(http: httpx.Client) -> None:
    response = http.get("/private/1", headers={"Authorization": token("bad")})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_authorizer_raising_unauthorized_is_401_and_failing_is_500(http: httpx.Client) -> None:
    assert http.get("/private/1", headers={"Authorization": "unauthorized"}).status_code == 401
    response = http.get("/private/1", headers={"Authorization": "broken"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"


def test_policy_is_cached_per_identity_for_the_ttl(http: httpx.Client, recorder: Recorder) -> None:
    good = token("good")

    assert http.get("/private/1", headers={"Authorization": good}).status_code == 200
    assert http.get("/private/1", headers={"Authorization": good}).status_code == 200

    assert recorder.authorizer_calls(good) == 1
    other = token("good")
    assert http.get("/private/1", headers={"Authorization": other}).status_code == 200
    assert recorder.authorizer_calls(other) == 1


def test_cached_policy_decides_other_method_arns(http: httpx.Client, recorder: Recorder) -> None:
    good = token("good")
    assert http.get("/private/1", headers={"Authorization": good}).status_code == 200

    # The cached policy allows GET /private/*: another id passes, POST is denied, without re-invoking.
    assert http.get("/private/2", headers={"Authorization": good}).status_code == 200
    assert http.post("/private/1", headers={"Authorization": good}).status_code == 403
    assert recorder.authorizer_calls(good) == 1


def test_authorizer_receives_a_request_event_with_the_method_arn(
    http: httpx.Client, recorder: Recorder, gateway: Gateway
) -> None:
    good = token("good")
    http.get("/private/9?lang=ko", headers={"Authorization": good})

    event = next(e for e in recorder.authorizer_events() if e["headers"].get("Authorization") == good)
    assert event["type"] == "REQUEST"
    assert event["methodArn"].startswith("arn:aws:execute-api:")
    assert event["methodArn"].endswith("/test/GET/private/9")
    assert event["resource"] == "/private/{id}"
    assert event["pathParameters"] == {"id": "9"}
    assert event["queryStringParameters"] == {"lang": "ko"}
