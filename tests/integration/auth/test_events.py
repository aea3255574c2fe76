"""Auth events reach the `events` table through the critical queue and the events consumer."""

from __future__ import annotations

import httpx
import psycopg

from tests.integration.auth.support import Account, assert_error, login, wait_for
from tests.integration.stack.running import RunningStack

EXPECTED = {"user_registered", "user_login", "login_failed", "logout"}


def test_register_login_failure_and_logout_are_recorded(
    api: httpx.Client, account: Account, stack: RunningStack
) -> None:
    session = login(api, account)
    assert_error(
        api.post("/api/auth/login", json={"email": account.email, "password": "nope-nope-nope"}), 401
    )
    assert api.post("/api/auth/logout", json={"refresh_token": session["refresh_token"]}).status_code == 204

    def recorded() -> set[str] | None:
        with psycopg.connect(stack.info["database_url"]) as conn:
            rows = conn.execute("SELECT event_type FROM events WHERE user_id = %s", (account.id,)).fetchall()
        found = {event_type for (event_type,) in rows}
        return found if found >= EXPECTED else None

    assert wait_for(recorded) == EXPECTED
    with psycopg.connect(stack.info["database_url"]) as conn:
        payloads = conn.execute(
            "SELECT payload FROM events WHERE user_id = %s AND event_type = 'login_failed'", (account.id,)
        ).fetchall()
    assert [p["reason"] for (p,) in payloads] == ["invalid_credentials"]
    assert all("password" not in str(p) and "nope" not in str(p) for (p,) in payloads)
