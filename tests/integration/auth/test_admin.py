"""The admin API: admins only; disabling a user locks them out at once, whatever tokens they hold."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.auth.support import Account, assert_error, bearer, login


@pytest.fixture
def admin_token(api: httpx.Client, admin: Account) -> str:
    return str(login(api, admin)["access_token"])


def _set_status(api: httpx.Client, token: str, user_id: str, status: Any) -> httpx.Response:
    return api.post(f"/api/admin/users/{user_id}/status", json={"status": status}, headers=bearer(token))


def test_admins_list_users(api: httpx.Client, admin_token: str, account: Account) -> None:
    response = api.get("/api/admin/users", params={"limit": 200}, headers=bearer(admin_token))
    assert response.status_code == 200
    users = {u["id"]: u for u in response.json()["users"]}
    assert users[account.id]["email"] == account.email
    assert all("password" not in key for user in users.values() for key in user)


def test_user_tokens_are_forbidden_on_admin_routes(api: httpx.Client, account: Account) -> None:
    token = login(api, account)["access_token"]
    assert_error(api.get("/api/admin/users", headers=bearer(token)), 403, "forbidden")
    assert_error(_set_status(api, token, account.id, "disabled"), 403, "forbidden")
    assert_error(api.get("/api/admin/users"), 401)


def test_disabled_users_are_locked_out(api: httpx.Client, admin_token: str, account: Account) -> None:
    session = login(api, account)
    assert api.get("/api/auth/me", headers=bearer(session["access_token"])).status_code == 200

    disabled = _set_status(api, admin_token, account.id, "disabled")
    assert disabled.status_code == 200
    assert disabled.json()["user"]["status"] == "disabled"

    # The authorizer's cached Allow for this token does not help: the route checks the account.
    assert_error(api.get("/api/auth/me", headers=bearer(session["access_token"])), 403, "account_disabled")
    assert_error(api.post("/api/auth/login", json=account.credentials), 403, "account_disabled")
    assert_error(api.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)

    assert _set_status(api, admin_token, account.id, "active").status_code == 200
    # Re-enabling does not bring the old session back.
    assert_error(api.get("/api/auth/me", headers=bearer(session["access_token"])), 401, "invalid_token")
    assert api.get("/api/auth/me", headers=bearer(login(api, account)["access_token"])).status_code == 200


def test_status_changes_are_validated(api: httpx.Client, admin_token: str, account: Account) -> None:
    assert_error(_set_status(api, admin_token, account.id, "banned"), 422, "validation_error")
    assert_error(_set_status(api, admin_token, str(uuid.uuid4()), "disabled"), 404, "not_found")
    assert_error(_set_status(api, admin_token, "not-a-uuid", "disabled"), 404, "not_found")
