"""Accounts, sign-in and error-shape helpers for the auth suite."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

T = TypeVar("T")
ApiFactory = Callable[[], httpx.Client]  # an HTTP client to the stack from a loopback address of its own


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    id: str

    @property
    def credentials(self) -> dict[str, str]:
        return {"email": self.email, "password": self.password}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def new_password() -> str:
    return f"pw-{uuid.uuid4().hex[:16]}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(api: httpx.Client, account: Account) -> dict[str, Any]:
    """The login response body (tokens and user); the login must succeed."""
    response = api.post("/api/auth/login", json=account.credentials)
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the project's error JSON, with no trace of the server's internals."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str) and error["message"]
    if code is not None:
        assert error["code"] == code, body
    for leak in ("Traceback", 'File "', "psycopg", "site-packages"):
        assert leak not in response.text
    return dict(error)


def wait_for(predicate: Callable[[], T | None], timeout: float = 60, interval: float = 0.25) -> T:
    deadline = time.monotonic() + timeout  # hang guard only
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
