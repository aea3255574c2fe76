"""The Lambda REQUEST authorizer's logic (REST routes and WebSocket `$connect`), free of FastAPI so
the authorizer cold-starts fast."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from octag.auth.tokens import AccessClaims

WEBSOCKET_TOKEN_PARAMETER = "token"  # `wss://...?token=<access JWT>`: browsers cannot set headers


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value (scheme case-insensitive), or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None


def authorizer_token(event: Mapping[str, Any]) -> str | None:
    """The access token of a REQUEST authorizer event: `?token=` on `$connect`, else the bearer header."""
    if (event.get("requestContext") or {}).get("eventType") == "CONNECT":
        token = (event.get("queryStringParameters") or {}).get(WEBSOCKET_TOKEN_PARAMETER)
        return str(token) if token else None
    headers = event.get("headers") or {}
    return bearer_token(next((v for k, v in headers.items() if k.lower() == "authorization"), None))


def allow_policy(claims: AccessClaims, method_arn: str) -> dict[str, Any]:
    """Allow the whole API stage, so API Gateway's cached decision serves the caller's other routes too."""
    api_arn, _, route = method_arn.partition(
        "/"
    )  # arn:aws:execute-api:{region}:{account}:{api} / {stage}/...
    stage = route.split("/", 1)[0]
    if api_arn.split(":")[2:3] != ["execute-api"] or api_arn.count(":") != 5 or not stage:
        raise ValueError(f"not an execute-api method ARN: {method_arn!r}")
    return {
        "principalId": claims.user_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{api_arn}/{stage}/*"}
            ],
        },
        "context": {"user_id": claims.user_id, "role": claims.role, "session_id": claims.session_id},
    }
