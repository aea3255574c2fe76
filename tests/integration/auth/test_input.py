"""Hostile or odd input: malformed JSON, oversized bodies, look-alike emails, SQL metacharacters."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from octag.config import Settings
from tests.integration.auth.support import Account, assert_error, login, new_password
from tests.integration.stack.running import RunningStack

MAX_BYTES = Settings().max_request_bytes  # the stack runs with the default
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", ['{"email": "a@example.com", "password": ', "{'email': 1}", "\xff\xfe"])
def test_malformed_json_is_a_400(api: httpx.Client, body: str) -> None:
    for path in ("/api/auth/login", "/api/auth/register", "/api/auth/refresh"):
        response = api.post(
            path, content=body.encode("latin-1"), headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, "malformed_json")


def test_well_formed_json_of_the_wrong_shape_is_a_422(api: httpx.Client) -> None:
    for body in ("[]", '"text"', '{"email": 1, "password": ["x"]}'):
        response = api.post("/api/auth/login", content=body, headers=JSON)
        assert_error(response, 422, "validation_error")


def test_bodies_over_the_limit_are_a_413(api: httpx.Client) -> None:
    oversized = json.dumps({"email": "a@example.com", "password": "x" * MAX_BYTES}).encode()
    assert_error(api.post("/api/auth/login", content=oversized, headers=JSON), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body itself is measured
        for start in range(0, len(oversized), 8192):
            yield oversized[start : start + 8192]

    assert_error(api.post("/api/auth/register", content=chunks(), headers=JSON), 413, "payload_too_large")


def test_a_body_at_the_limit_is_read(api: httpx.Client) -> None:
    prefix = b'{"refresh_token": "'
    body = prefix + b"x" * (MAX_BYTES - len(prefix) - 2) + b'"}'
    assert len(body) == MAX_BYTES
    assert_error(api.post("/api/auth/refresh", content=body, headers=JSON), 401, "invalid_refresh_token")


def test_look_alike_emails_are_one_account(api: httpx.Client) -> None:
    local = f"user{new_password()[3:11]}"  # ASCII letters and digits
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in local) + "@ｅｘａｍｐｌｅ.com"
    password = new_password()
    registered = api.post("/api/auth/register", json={"email": full_width, "password": password})
    assert registered.status_code == 201, registered.text
    assert registered.json()["user"]["email"] == f"{local}@example.com"

    same = {"email": f"{local.upper()}@Example.COM", "password": password}
    assert login(api, Account(same["email"], password, ""))["user"]["id"] == registered.json()["user"]["id"]
    for twin in (f"{local}@example.com", f"{local.capitalize()}@EXAMPLE.com", full_width):
        assert_error(api.post("/api/auth/register", json={"email": twin, "password": password}), 409)
    # A Cyrillic `е` in the local part is not folded into ASCII: refused, not a second account.
    cyrillic = {"email": f"{local.replace('e', 'е')}@example.com", "password": password}
    assert_error(api.post("/api/auth/register", json=cyrillic), 422, "invalid_email")


def test_sql_metacharacters_are_just_characters(api: httpx.Client, stack: RunningStack) -> None:
    email = f"o'r%_{{x}}+{new_password()[3:11]}@example.com"
    password = "' OR '1'='1'; DROP TABLE users; --"
    account = Account(email, password, "")
    assert api.post("/api/auth/register", json=account.credentials).status_code == 201
    assert login(api, account)["user"]["email"] == email

    for wrong in (
        {"email": email, "password": "' OR '1'='1"},
        {"email": "%@example.com", "password": password},
        {"email": email.replace("_", "x"), "password": password},
    ):
        assert_error(api.post("/api/auth/login", json=wrong), 401, "invalid_credentials")
    with psycopg.connect(stack.info["database_url"]) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = %s", (email,)).fetchone() == (1,)


def test_unknown_routes_and_methods_answer_error_json(api: httpx.Client) -> None:
    assert_error(api.get("/api/auth/nowhere"), 404)
    assert_error(api.get("/api/auth/login"), 405)
