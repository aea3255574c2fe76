"""Forged and altered access tokens are refused (401) by the REST authorizer and the routes.

Tokens with a valid signature are signed with the stack's real key, derived from the seed in the
local Secrets Manager the way `octag.auth.keys` does, so only the claim under test is wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from octag.auth.keys import SigningKey, parse_key_set
from tests.integration.auth.support import Account, assert_error, bearer, login
from tests.integration.stack.running import RunningStack


@pytest.fixture(scope="module")
def signing_key(stack: RunningStack) -> SigningKey:
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=stack.info["aws_endpoint_url"],
        region_name="ap-northeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    value = secrets.get_secret_value(SecretId=stack.info["environment"]["JWT_KEYS_SECRET_ID"])
    return parse_key_set(value["SecretString"]).current


@pytest.fixture
def session(api: httpx.Client, account: Account) -> dict[str, Any]:
    return login(api, account)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(session: dict[str, Any], **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    real = jwt.decode(session["access_token"], options={"verify_signature": False})
    claims = {**real, "iat": now, "nbf": now, "exp": now + 600, "jti": uuid.uuid4().hex, **changes}
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


Forger = Callable[[SigningKey, dict[str, Any]], str]


def _signed(**changes: Any) -> Forger:
    """A token signed with the real key whose claims differ by `changes` (None drops a claim)."""

    def forge(key: SigningKey, session: dict[str, Any]) -> str:
        claims = _claims(session, **changes)
        return jwt.encode(claims, key.private_key, algorithm="EdDSA", headers={"kid": key.kid})

    return forge


def _alg_none(key: SigningKey, session: dict[str, Any]) -> str:
    return _unsigned({"alg": "none", "typ": "JWT", "kid": key.kid}, _claims(session)) + "."


def _hs256_with_the_public_key(key: SigningKey, session: dict[str, Any]) -> str:
    # Algorithm confusion: the verifier's public key, used as an HMAC secret.
    public_pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": key.kid}, _claims(session))
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _hs256_with_the_raw_public_key(key: SigningKey, session: dict[str, Any]) -> str:
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return jwt.encode(_claims(session), raw, algorithm="HS256", headers={"kid": key.kid})


def _rs256(key: SigningKey, session: dict[str, Any]) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(session), other, algorithm="RS256", headers={"kid": key.kid})


def _another_ed25519_key_same_kid(key: SigningKey, session: dict[str, Any]) -> str:
    other = ed25519.Ed25519PrivateKey.generate()
    return jwt.encode(_claims(session), other, algorithm="EdDSA", headers={"kid": key.kid})


def _unknown_kid(key: SigningKey, session: dict[str, Any]) -> str:
    return jwt.encode(_claims(session), key.private_key, algorithm="EdDSA", headers={"kid": "k-unknown"})


def _no_kid(key: SigningKey, session: dict[str, Any]) -> str:
    return jwt.encode(_claims(session), key.private_key, algorithm="EdDSA")


def _tampered_payload(key: SigningKey, session: dict[str, Any]) -> str:
    header, _, signature = session["access_token"].split(".")
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    return f"{header}.{_b64(json.dumps({**claims, 'role': 'admin'}).encode())}.{signature}"


def _tampered_signature(key: SigningKey, session: dict[str, Any]) -> str:
    token = session["access_token"]
    head, _, signature = token.rpartition(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return f"{head}.{_b64(bytes(raw))}"


def _now() -> int:
    return int(time.time())


FORGERIES: dict[str, Forger] = {
    "alg_none": _alg_none,
    "hs256_public_key_pem": _hs256_with_the_public_key,
    "hs256_public_key_raw": _hs256_with_the_raw_public_key,
    "rs256": _rs256,
    "other_key_same_kid": _another_ed25519_key_same_kid,
    "unknown_kid": _unknown_kid,
    "no_kid": _no_kid,
    "tampered_payload": _tampered_payload,
    "tampered_signature": _tampered_signature,
    "expired": lambda key, s: _signed(iat=_now() - 7200, nbf=_now() - 7200, exp=_now() - 3600)(key, s),
    "not_yet_valid": lambda key, s: _signed(nbf=_now() + 3600, exp=_now() + 7200)(key, s),
    "wrong_issuer": _signed(iss="someone-else"),
    "wrong_audience": _signed(aud="another-api"),
    "no_expiry": _signed(exp=None),
    "no_audience": _signed(aud=None),
    "unknown_role": _signed(role="root"),
}


def test_a_token_forged_with_the_real_key_and_right_claims_is_accepted(
    api: httpx.Client, signing_key: SigningKey, session: dict[str, Any]
) -> None:
    # Guards the suite: the forgeries below differ from an accepted token only in what they test.
    token = _signed()(signing_key, session)
    assert api.get("/api/auth/me", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_or_altered_tokens_are_refused(
    api: httpx.Client, signing_key: SigningKey, session: dict[str, Any], forgery: Forger
) -> None:
    token = forgery(signing_key, session)
    assert token != session["access_token"]
    assert_error(api.get("/api/auth/me", headers=bearer(token)), 401)
    body = {"current_password": "whatever-it-is", "new_password": "whatever-else-1"}
    assert_error(api.post("/api/auth/password", json=body, headers=bearer(token)), 401)
