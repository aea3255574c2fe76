"""The events API Gateway hands to Lambda: REST proxy (payload v1), REQUEST authorizer, WebSocket.

Shapes follow AWS's documented samples (tests/fixtures/aws_events/); every builder lives here so a
shape is written once.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ACCOUNT_ID = "000000000000"  # the account local Lambda contexts report too
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Bodies API Gateway passes base64-encoded when declared as binary media types.
_BINARY_TYPES = (
    "application/octet-stream",
    "application/pdf",
    "application/zip",
    "image/",
    "audio/",
    "video/",
)

Pairs = tuple[tuple[str, str], ...]


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids (e.g. `BFaVtH2HoAMFZEQ=`)."""
    return base64.urlsafe_b64encode(os.urandom(10)).decode()


def stable_id(seed: str, length: int = 10) -> str:
    """A lower-case id derived from `seed`, stable across runs (api ids, resource ids)."""
    return base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().lower()[:length]


def now_ms() -> int:
    return int(time.time() * 1000)


def request_time(epoch_ms: int) -> str:
    """`04/Mar/2020:19:15:17 +0000`, locale-independent."""
    t = time.gmtime(epoch_ms / 1000)
    return f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


def multi_maps(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's `headers`/`multiValueHeaders` (or query) pair: last value, and all values."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def encode_body(data: bytes, content_type: str) -> tuple[str | None, bool]:
    """`(body, isBase64Encoded)`: text as is; binary media types and non-UTF-8 bytes base64."""
    if not data:
        return None, False
    if not content_type.lower().startswith(_BINARY_TYPES):
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(data).decode("ascii"), True


@dataclass(frozen=True)
class ApiInfo:
    """One API as deployed: its id, stage and region (for ARNs and request contexts)."""

    api_id: str
    stage: str
    region: str

    def arn(self, tail: str) -> str:
        return f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{self.api_id}/{self.stage}/{tail}"


@dataclass(frozen=True)
class HttpRequest:
    """A REST request as API Gateway sees it, once matched to a resource."""

    method: str
    path: str  # as received (percent-encoding kept, like AWS)
    resource: str  # the template path, e.g. /items/{id}
    path_parameters: Mapping[str, str]
    headers: Pairs
    query: Pairs
    body: bytes
    source_ip: str
    user_agent: str
    domain_name: str
    protocol: str
    request_id: str
    time_ms: int = field(default_factory=now_ms)

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers if k.lower() == "content-type"), "")


def rest_request_context(
    api: ApiInfo, req: HttpRequest, authorizer: Mapping[str, Any] | None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api.api_id,
        "domainName": req.domain_name,
        "domainPrefix": req.domain_name.split(".")[0].split(":")[0],
        "extendedRequestId": new_id(),
        "httpMethod": req.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": req.source_ip,
            "user": None,
            "userAgent": req.user_agent,
            "userArn": None,
        },
        "path": f"/{api.stage}{req.path}",
        "protocol": req.protocol,
        "requestId": req.request_id,
        "requestTime": request_time(req.time_ms),
        "requestTimeEpoch": req.time_ms,
        "resourceId": stable_id(f"{api.api_id}{req.resource}", 6),
        "resourcePath": req.resource,
        "stage": api.stage,
    }
    if authorizer is not None:
        context["authorizer"] = dict(authorizer)
    return context


def rest_proxy_event(api: ApiInfo, req: HttpRequest, authorizer: Mapping[str, Any] | None) -> dict[str, Any]:
    headers, multi_headers = multi_maps(req.headers)
    query, multi_query = multi_maps(req.query)
    body, is_base64 = encode_body(req.body, req.content_type)
    return {
        "resource": req.resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(req.path_parameters) or None,
        "stageVariables": None,
        "requestContext": rest_request_context(api, req, authorizer),
        "body": body,
        "isBase64Encoded": is_base64,
    }


def rest_authorizer_event(api: ApiInfo, req: HttpRequest, method_arn: str) -> dict[str, Any]:
    headers, multi_headers = multi_maps(req.headers)
    query, multi_query = multi_maps(req.query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": req.resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(req.path_parameters),
        "stageVariables": {},
        "requestContext": rest_request_context(api, req, None),
    }


@dataclass
class WebSocketClient:
    """What API Gateway remembers about a WebSocket connection from its handshake."""

    connection_id: str
    source_ip: str
    user_agent: str
    domain_name: str
    headers: Pairs
    query: Pairs
    connected_at: int = field(default_factory=now_ms)
    authorizer: dict[str, Any] | None = None


def websocket_request_context(
    api: ApiInfo, client: WebSocketClient, route_key: str, event_type: str, request_id: str
) -> dict[str, Any]:
    epoch = now_ms()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(epoch),
        "messageDirection": "IN",
        "stage": api.stage,
        "connectedAt": client.connected_at,
        "requestTimeEpoch": epoch,
        "identity": {"sourceIp": client.source_ip},
        "requestId": request_id,
        "domainName": client.domain_name,
        "connectionId": client.connection_id,
        "apiId": api.api_id,
    }
    if client.authorizer is not None:
        context["authorizer"] = dict(client.authorizer)
    return context


def websocket_connect_event(api: ApiInfo, client: WebSocketClient, request_id: str) -> dict[str, Any]:
    headers, multi_headers = multi_maps(client.headers)
    event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    if client.query:  # AWS leaves both keys out when the URL has no query string
        event["queryStringParameters"], event["multiValueQueryStringParameters"] = multi_maps(client.query)
    event["requestContext"] = websocket_request_context(api, client, "$connect", "CONNECT", request_id)
    event["isBase64Encoded"] = False
    return event


def websocket_message_event(
    api: ApiInfo, client: WebSocketClient, route_key: str, request_id: str, data: str | bytes
) -> dict[str, Any]:
    context = websocket_request_context(api, client, route_key, "MESSAGE", request_id)
    context["messageId"] = new_id()
    if isinstance(data, bytes):
        return {"requestContext": context, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    return {"requestContext": context, "body": data, "isBase64Encoded": False}


def websocket_disconnect_event(
    api: ApiInfo, client: WebSocketClient, request_id: str, status_code: int, reason: str
) -> dict[str, Any]:
    headers, multi_headers = multi_maps(client.headers)
    context = websocket_request_context(api, client, "$disconnect", "DISCONNECT", request_id)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "requestContext": context,
        "isBase64Encoded": False,
    }


def websocket_authorizer_event(
    api: ApiInfo, client: WebSocketClient, request_id: str, method_arn: str
) -> dict[str, Any]:
    headers, multi_headers = multi_maps(client.headers)
    query, multi_query = multi_maps(client.query)
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "stageVariables": {},
        "requestContext": websocket_request_context(api, client, "$connect", "CONNECT", request_id),
    }
