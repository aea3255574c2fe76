"""Access tokens: short-lived EdDSA JWTs with an explicit algorithm allow-list."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from octag.auth.keys import signing_keys
from octag.config import get_settings
from octag.errors import Unauthorized

ALGORITHMS = ["EdDSA"]  # never "none", never HMAC: a public key cannot be replayed as a secret
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "nbf", "jti"]
LEEWAY_SECONDS = 10  # clock skew between Lambda hosts
ROLES = ("user", "admin")


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    role: str
    session_id: str
    jti: str
    issued_at: int
    expires_at: int


def issue_access_token(user_id: str, role: str, session_id: str) -> tuple[str, int]:
    """The token and its lifetime in seconds."""
    settings = get_settings()
    key = signing_keys().get().current
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_ttl,
        "jti": uuid.uuid4().hex,
        "role": role,
        "sid": session_id,
    }
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHMS[0], headers={"kid": key.kid})
    return token, settings.access_token_ttl


def verify_access_token(token: str) -> AccessClaims:
    """Signature, algorithm, key id, issuer, audience and times; raises Unauthorized(invalid_token)."""
    settings = get_settings()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise _invalid("The token's algorithm is not accepted.")
        key = signing_keys().find(str(header.get("kid", "")))
        if key is None:
            raise _invalid("The token was signed with an unknown key.")
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=ALGORITHMS,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError:
        raise _invalid("The token has expired.") from None
    except jwt.PyJWTError:
        raise _invalid("The token is not valid.") from None
    if claims.get("role") not in ROLES or not claims.get("sid"):
        raise _invalid("The token is not valid.")
    return AccessClaims(
        user_id=str(claims["sub"]),
        role=str(claims["role"]),
        session_id=str(claims["sid"]),
        jti=str(claims["jti"]),
        issued_at=int(claims["iat"]),
        expires_at=int(claims["exp"]),
    )


def _invalid(message: str) -> Unauthorized:
    return Unauthorized(message, code="invalid_token")
