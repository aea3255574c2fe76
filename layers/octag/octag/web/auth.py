"""Who is calling: bearer access tokens for FastAPI routes (the authorizer's side: octag.auth.authorizer).

API Gateway's authorizer checks the token before a route runs; the routes check it again (defense in
depth: it is a signature check, and the authorizer's cached decision may predate a logout).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from octag.auth import service
from octag.auth.authorizer import bearer_token
from octag.auth.service import User
from octag.auth.tokens import AccessClaims
from octag.errors import Forbidden, Unauthorized

# --- FastAPI dependencies ---------------------------------------------------------------------


def current_claims(request: Request) -> AccessClaims:
    """The verified claims of the request's access token; 401 without a valid one."""
    token = bearer_token(request.headers.get("authorization"))
    if token is None:
        raise Unauthorized("Send an access token: `Authorization: Bearer <token>`.", code="missing_token")
    return service.authenticate(token)


CurrentClaims = Annotated[AccessClaims, Depends(current_claims)]


def current_user(claims: CurrentClaims) -> User:
    """The token's user, still existing and active (401 / 403 otherwise)."""
    return service.current_user(claims)


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(role: str) -> Callable[[User], User]:
    """A dependency admitting only users whose current role (in the database, not the token) is `role`."""

    def dependency(user: CurrentUser) -> User:
        if user.role != role:
            raise Forbidden("You are not allowed to do this.", code="forbidden")
        return user

    return dependency


def source_ip(request: Request) -> str:
    """The caller's address as API Gateway saw it (`requestContext.identity.sourceIp`)."""
    event = request.scope.get("aws.event") or {}
    ip = ((event.get("requestContext") or {}).get("identity") or {}).get("sourceIp")
    if ip:
        return str(ip)
    return request.client.host if request.client else "unknown"
