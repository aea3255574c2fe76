"""Failed logins are throttled per account and per source IP; answers never reveal which emails exist."""

from __future__ import annotations

import httpx

from octag.config import Settings
from tests.integration.auth.support import Account, ApiFactory, assert_error, login, unique_email

LIMITS = Settings()  # the stack runs with the defaults
INVALID = "invalid_credentials"


def _wrong_password(api: httpx.Client, email: str) -> httpx.Response:
    return api.post("/api/auth/login", json={"email": email, "password": "definitely-not-it"})


def _assert_throttled(response: httpx.Response) -> None:
    assert_error(response, 429, "too_many_attempts")
    assert int(response.headers["Retry-After"]) > 0


def test_failed_logins_on_one_account_are_throttled(api_factory: ApiFactory, account: Account) -> None:
    api = api_factory()
    for _ in range(LIMITS.login_max_failures):
        assert_error(_wrong_password(api, account.email), 401, INVALID)

    _assert_throttled(_wrong_password(api, account.email))
    # The right password does not get through while throttled, nor from another address.
    _assert_throttled(api.post("/api/auth/login", json=account.credentials))
    _assert_throttled(api_factory().post("/api/auth/login", json=account.credentials))


def test_failed_logins_from_one_address_are_throttled_across_emails(
    api_factory: ApiFactory, account: Account
) -> None:
    attacker = api_factory()
    for _ in range(LIMITS.login_max_failures_per_ip):
        assert_error(_wrong_password(attacker, unique_email("sprayed")), 401, INVALID)

    _assert_throttled(_wrong_password(attacker, unique_email("sprayed")))
    _assert_throttled(attacker.post("/api/auth/login", json=account.credentials))
    # Another address is not affected.
    assert login(api_factory(), account)["user"]["id"] == account.id


def test_a_successful_login_resets_the_account_count(api: httpx.Client, account: Account) -> None:
    for _ in range(LIMITS.login_max_failures - 1):
        assert_error(_wrong_password(api, account.email), 401, INVALID)
    login(api, account)
    for _ in range(LIMITS.login_max_failures - 1):
        assert_error(_wrong_password(api, account.email), 401, INVALID)
    login(api, account)


def test_unknown_email_and_wrong_password_answer_the_same(api: httpx.Client, account: Account) -> None:
    unknown = _wrong_password(api, unique_email("nobody"))
    wrong = _wrong_password(api, account.email)
    assert (unknown.status_code, unknown.json()) == (wrong.status_code, wrong.json())
    assert_error(wrong, 401, INVALID)
    malformed = _wrong_password(api, "not an email at all")
    assert (malformed.status_code, malformed.json()) == (wrong.status_code, wrong.json())
