"""Register, login, throttling, refresh rotation, logout, password change, disabling, key rotation."""

from __future__ import annotations

import json

import jwt
import pytest
from argon2 import PasswordHasher

from octag import db
from octag.auth import keys, passwords, service
from octag.auth.keys import rotate_keys
from octag.errors import Conflict, Forbidden, InvalidInput, TooManyRequests, Unauthorized

PASSWORD = "correct horse battery"


def test_register_normalizes_email_and_rejects_look_alike_duplicates(aws):
    user = service.register("  Ｍｉｎｊｉ.Kim@Example.COM ", PASSWORD)
    assert user.email == "minji.kim@example.com"
    assert user.role == "user" and user.status == "active"
    for variant in (
        "minji.kim@example.com",
        "MINJI.KIM@EXAMPLE.COM",
        "ｍｉｎｊｉ.ｋｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ",
    ):
        with pytest.raises(Conflict) as exc:
            service.register(variant, PASSWORD)
        assert exc.value.code == "email_taken"
    with pytest.raises(InvalidInput) as bad:
        service.register("kim@exam ple.com", PASSWORD)
    assert bad.value.code == "invalid_email"
    with pytest.raises(InvalidInput):  # a Cyrillic "а" in the name part is refused, not a second account
        service.register("minji.kim\u0430@example.com", PASSWORD)


@pytest.mark.parametrize(
    "password", ["short1!", "qwertyuiop", "1Q2W3E4R5T", "someone.long@example.com", "someone.long"]
)
def test_password_policy(aws, password):
    with pytest.raises(InvalidInput) as exc:
        service.register("someone.long@example.com", password)
    assert exc.value.code == "weak_password"


def test_sql_metacharacters_are_just_characters(aws):
    email = "o'brien+x@example.com"
    password = "'; DROP TABLE users; --"
    service.register(email, password)
    assert service.login(email, password, source_ip="10.0.0.1").user.email == email


def test_unknown_email_and_wrong_password_fail_alike(aws):
    service.register("known@example.com", PASSWORD)
    errors = []
    for email, password in (("known@example.com", "wrong password!"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(Unauthorized) as exc:
            service.login(email, password, source_ip="10.0.0.2")
        errors.append((exc.value.status, exc.value.code, exc.value.message))
    assert errors[0] == errors[1]


def test_failed_logins_are_throttled_per_account_even_with_the_right_password(aws):
    service.register("target@example.com", PASSWORD)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            service.login("target@example.com", "not the password", source_ip="10.0.0.3")
    with pytest.raises(TooManyRequests) as exc:
        service.login("target@example.com", PASSWORD, source_ip="10.0.0.4")
    retry_after = int(exc.value.headers["Retry-After"])
    assert 0 < retry_after <= 900


def test_failed_logins_are_throttled_per_source_ip(aws, monkeypatch):
    monkeypatch.setenv("OCTAG_LOGIN_MAX_FAILURES_PER_IP", "3")
    service.get_settings.cache_clear()
    for n in range(3):
        with pytest.raises(Unauthorized):
            service.login(f"spray{n}@example.com", PASSWORD, source_ip="10.9.9.9")
    with pytest.raises(TooManyRequests):
        service.login("spray-next@example.com", PASSWORD, source_ip="10.9.9.9")
    with pytest.raises(Unauthorized):  # another address is not affected
        service.login("spray-next@example.com", PASSWORD, source_ip="10.9.9.8")


def test_refresh_rotates_and_reuse_revokes_the_family(aws):
    service.register("rotate@example.com", PASSWORD)
    first = service.login("rotate@example.com", PASSWORD, source_ip="10.0.0.5")
    second = service.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.session_id == first.session_id
    assert service.authenticate(second.access_token).user_id == first.user.id

    with pytest.raises(Unauthorized) as reused:
        service.refresh(first.refresh_token)
    assert reused.value.code == "refresh_token_reused"
    with pytest.raises(Unauthorized) as revoked:  # the thief's (or victim's) newer token dies too
        service.refresh(second.refresh_token)
    assert revoked.value.code == "invalid_refresh_token"


def test_logout_revokes_the_session(aws):
    service.register("bye@example.com", PASSWORD)
    session = service.login("bye@example.com", PASSWORD, source_ip="10.0.0.6")
    service.logout(session.refresh_token)
    service.logout(session.refresh_token)  # idempotent
    service.logout("not-a-token")  # says nothing
    with pytest.raises(Unauthorized):
        service.refresh(session.refresh_token)


def test_password_change_signs_out_every_other_session(aws):
    service.register("change@example.com", PASSWORD)
    here = service.login("change@example.com", PASSWORD, source_ip="10.0.0.7")
    elsewhere = service.login("change@example.com", PASSWORD, source_ip="10.0.0.8")
    claims = service.authenticate(here.access_token)
    with pytest.raises(InvalidInput):
        service.change_password(claims, "wrong current pw", "a brand new password")
    fresh = service.change_password(claims, PASSWORD, "a brand new password")

    with pytest.raises(Unauthorized):
        service.refresh(elsewhere.refresh_token)
    with pytest.raises(Unauthorized):
        service.current_user(service.authenticate(elsewhere.access_token))
    assert service.current_user(service.authenticate(fresh.access_token)).email == "change@example.com"
    assert service.login("change@example.com", "a brand new password", source_ip="10.0.0.7")
    with pytest.raises(Unauthorized):
        service.login("change@example.com", PASSWORD, source_ip="10.0.0.7")


def test_disabled_users_are_refused(aws):
    service.register("gone@example.com", PASSWORD)
    session = service.login("gone@example.com", PASSWORD, source_ip="10.0.0.9")
    service.set_user_status(session.user.id, "disabled")
    with pytest.raises(Forbidden):
        service.current_user(service.authenticate(session.access_token))
    with pytest.raises(Forbidden):
        service.login("gone@example.com", PASSWORD, source_ip="10.0.0.9")
    with pytest.raises(Unauthorized):
        service.refresh(session.refresh_token)


def test_login_rehashes_when_argon2_parameters_change(aws):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    with db.connection() as conn:
        conn.execute(
            "INSERT INTO users (id, email, password_hash) VALUES (gen_random_uuid(), %s, %s)",
            ("old@example.com", weak.hash(PASSWORD)),
        )
    service.login("old@example.com", PASSWORD, source_ip="10.0.0.10")
    with db.connection() as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE email = 'old@example.com'").fetchone()
    assert not passwords.needs_rehash(stored)
    assert service.login("old@example.com", PASSWORD, source_ip="10.0.0.10")


def test_key_rotation_keeps_the_previous_key_valid(aws):
    service.register("keys@example.com", PASSWORD)
    before = service.login("keys@example.com", PASSWORD, source_ip="10.0.0.11")
    new_kid = rotate_keys(aws["secret_id"])
    keys._caches.clear()  # what OCTAG_SIGNING_KEY_CACHE_TTL does over time
    after = service.login("keys@example.com", PASSWORD, source_ip="10.0.0.11")
    assert jwt.get_unverified_header(after.access_token)["kid"] == new_kid
    assert service.authenticate(before.access_token).user_id == before.user.id
    rotate_keys(aws["secret_id"])  # the first key leaves the set
    keys._caches.clear()
    with pytest.raises(Unauthorized):
        service.authenticate(before.access_token)
    assert service.authenticate(after.access_token)


def test_auth_events_reach_the_critical_queue(aws):
    service.register("events@example.com", PASSWORD)
    session = service.login("events@example.com", PASSWORD, source_ip="10.0.0.12")
    with pytest.raises(Unauthorized):
        service.login("events@example.com", "nope nope nope", source_ip="10.0.0.12")
    service.logout(session.refresh_token)
    bodies = []
    while True:
        batch = (
            aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
        )
        if not batch:
            break
        bodies += [json.loads(m["Body"]) for m in batch]
    assert [b["event_type"] for b in bodies] == ["user_registered", "user_login", "login_failed", "logout"]
    assert {b["user_id"] for b in bodies} == {session.user.id}
    assert len({b["event_id"] for b in bodies}) == 4


def test_wrong_current_passwords_on_password_change_are_throttled(aws):
    service.register("guess@example.com", PASSWORD)
    session = service.login("guess@example.com", PASSWORD, source_ip="10.0.0.13")
    claims = service.authenticate(session.access_token)
    for n in range(5):
        with pytest.raises(InvalidInput):
            service.change_password(claims, f"guess number {n}", "a brand new password")
    with pytest.raises(TooManyRequests):
        service.change_password(claims, PASSWORD, "a brand new password")


def test_login_answers_with_this_login_time(aws):
    service.register("when@example.com", PASSWORD)
    first = service.login("when@example.com", PASSWORD, source_ip="10.0.0.14")
    second = service.login("when@example.com", PASSWORD, source_ip="10.0.0.14")
    assert first.user.last_login_at is not None and second.user.last_login_at is not None
    assert second.user.last_login_at > first.user.last_login_at
