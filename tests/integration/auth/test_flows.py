"""Register, login, me, refresh rotation, logout and password change over real HTTP."""

from __future__ import annotations

import httpx
import jwt

from tests.integration.auth.support import (
    Account,
    assert_error,
    bearer,
    login,
    new_password,
    unique_email,
)


def test_register_login_and_me(api: httpx.Client) -> None:
    email, password = unique_email(), new_password()
    registered = api.post("/api/auth/register", json={"email": email, "password": password})
    assert registered.status_code == 201
    user = registered.json()["user"]
    assert (user["email"], user["role"], user["status"]) == (email, "user", "active")
    assert "password" not in registered.text and password not in registered.text

    session = api.post("/api/auth/login", json={"email": email, "password": password}).json()
    assert session["token_type"] == "Bearer"
    assert session["expires_in"] > 0 and session["refresh_expires_in"] > session["expires_in"]
    assert session["user"]["id"] == user["id"]
    header = jwt.get_unverified_header(session["access_token"])
    assert header["alg"] == "EdDSA" and header["kid"]

    me = api.get("/api/auth/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]
    assert me.json()["user"]["last_login_at"] is not None


def test_register_ignores_a_role_in_the_body(api: httpx.Client) -> None:
    body = {"email": unique_email(), "password": new_password(), "role": "admin", "status": "x"}
    response = api.post("/api/auth/register", json=body)
    assert response.status_code == 201
    assert response.json()["user"]["role"] == "user"


def test_register_refuses_taken_emails_weak_passwords_and_invalid_emails(
    api: httpx.Client, account: Account
) -> None:
    taken = api.post("/api/auth/register", json={"email": account.email, "password": new_password()})
    assert_error(taken, 409, "email_taken")
    email = unique_email()
    for weak in ("short", "password123", email):
        response = api.post("/api/auth/register", json={"email": email, "password": weak})
        assert_error(response, 422, "weak_password")
    invalid = api.post("/api/auth/register", json={"email": "not-an-email", "password": new_password()})
    assert_error(invalid, 422, "invalid_email")
    missing = api.post("/api/auth/register", json={"email": unique_email()})
    assert_error(missing, 422, "validation_error")


def test_me_needs_a_bearer_token(api: httpx.Client, account: Account) -> None:
    session = login(api, account)
    assert_error(api.get("/api/auth/me"), 401)
    assert_error(api.get("/api/auth/me", headers={"Authorization": session["access_token"]}), 401)
    assert_error(api.get("/api/auth/me", headers=bearer(session["refresh_token"])), 401)
    lower_case = api.get("/api/auth/me", headers={"authorization": f"bearer {session['access_token']}"})
    assert lower_case.status_code == 200


def test_one_token_serves_every_route_of_the_api(api: httpx.Client, account: Account) -> None:
    # The authorizer allows the whole stage, so the gateway's cached decision covers other routes.
    token = login(api, account)["access_token"]
    assert api.get("/api/auth/me", headers=bearer(token)).status_code == 200
    body = {"current_password": "not-the-password", "new_password": new_password()}
    reached = api.post("/api/auth/password", json=body, headers=bearer(token))
    assert_error(reached, 422, "wrong_password")  # answered by the function, not the gateway


def test_refresh_rotates_the_pair(api: httpx.Client, account: Account) -> None:
    first = login(api, account)
    rotated = api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert api.get("/api/auth/me", headers=bearer(second["access_token"])).status_code == 200
    # The new access token belongs to the same session (refresh-token family) as the first.
    claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert claims["sid"] == jwt.decode(first["access_token"], options={"verify_signature": False})["sid"]


def test_refresh_token_reuse_revokes_the_whole_family(api: httpx.Client, account: Account) -> None:
    first = login(api, account)
    second = api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()

    replayed = api.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_error(replayed, 401, "refresh_token_reused")
    # The thief may hold the newer tokens; they die with their family.
    assert_error(api.post("/api/auth/refresh", json={"refresh_token": second["refresh_token"]}), 401)
    assert_error(api.get("/api/auth/me", headers=bearer(second["access_token"])), 401, "invalid_token")


def test_reuse_in_one_session_leaves_other_sessions_alone(api: httpx.Client, account: Account) -> None:
    stolen, other = login(api, account), login(api, account)
    api.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    api.post("/api/auth/refresh", json={"refresh_token": stolen["refresh_token"]})
    assert api.post("/api/auth/refresh", json={"refresh_token": other["refresh_token"]}).status_code == 200


def test_unknown_refresh_token_is_refused(api: httpx.Client) -> None:
    response = api.post("/api/auth/refresh", json={"refresh_token": "not-a-token"})
    assert_error(response, 401, "invalid_refresh_token")


def test_logout_ends_the_session(api: httpx.Client, account: Account) -> None:
    session = login(api, account)
    me = api.get("/api/auth/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200  # the gateway now holds a cached Allow for this token
    assert api.post("/api/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204
    refused = api.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert_error(refused, 401, "invalid_refresh_token")
    assert_error(api.get("/api/auth/me", headers=bearer(session["access_token"])), 401, "invalid_token")


def test_logout_is_idempotent_and_reveals_nothing(api: httpx.Client, account: Account) -> None:
    session = login(api, account)
    answers = [
        api.post("/api/auth/logout", json={"refresh_token": token})
        for token in (session["refresh_token"], session["refresh_token"], "never-issued")
    ]
    assert [(r.status_code, r.content) for r in answers] == [(204, b"")] * 3


def test_password_change_signs_out_every_other_session(api: httpx.Client, account: Account) -> None:
    this, other = login(api, account), login(api, account)

    wrong = api.post(
        "/api/auth/password",
        json={"current_password": "not-the-password", "new_password": new_password()},
        headers=bearer(this["access_token"]),
    )
    assert_error(wrong, 422, "wrong_password")

    new = new_password()
    changed = api.post(
        "/api/auth/password",
        json={"current_password": account.password, "new_password": new},
        headers=bearer(this["access_token"]),
    )
    assert changed.status_code == 200, changed.text
    fresh = changed.json()
    assert api.get("/api/auth/me", headers=bearer(fresh["access_token"])).status_code == 200
    assert api.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 200

    for session in (this, other):
        assert_error(api.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)
        assert_error(api.get("/api/auth/me", headers=bearer(session["access_token"])), 401)
    assert_error(api.post("/api/auth/login", json=account.credentials), 401, "invalid_credentials")
    assert api.post("/api/auth/login", json={"email": account.email, "password": new}).status_code == 200


def test_password_change_needs_a_token(api: httpx.Client) -> None:
    body = {"current_password": new_password(), "new_password": new_password()}
    assert_error(api.post("/api/auth/password", json=body), 401)
