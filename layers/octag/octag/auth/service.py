"""Authentication use cases: register, login, refresh with rotation, logout, password change."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg import Connection
from psycopg.errors import UniqueViolation

from octag import db
from octag.auth import repository as repo
from octag.auth.emails import normalize_email
from octag.auth.passwords import (
    check_password_policy,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from octag.auth.tokens import AccessClaims, issue_access_token, verify_access_token
from octag.config import get_settings
from octag.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests, Unauthorized
from octag.events.publisher import publish
from octag.events.schema import Event

ROLES = ("user", "admin")
STATUSES = ("active", "disabled")
INVALID_CREDENTIALS = "The email or password is incorrect."


@dataclass(frozen=True)
class User:
    id: str
    email: str
    role: str
    status: str
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def from_row(cls, row: repo.UserRow) -> User:
        return cls(str(row.id), row.email, row.role, row.status, row.created_at, row.last_login_at)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
        }


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    user: User
    session_id: str  # the refresh-token family; the access token's `sid`

    def as_response(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_expires_in": self.refresh_expires_in,
            "user": self.user.public(),
        }


def _hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _start_session(conn: Connection[Any], user: User) -> Session:
    """A new refresh-token family (the session) and its first token pair."""
    return _rotate(conn, user, uuid4())


def _rotate(conn: Connection[Any], user: User, family_id: UUID) -> Session:
    ttl = get_settings().refresh_token_ttl
    refresh_token = secrets.token_urlsafe(32)  # 256 random bits
    repo.insert_refresh_token(conn, _hash_token(refresh_token), family_id, UUID(user.id), ttl)
    access_token, expires_in = issue_access_token(user.id, user.role, str(family_id))
    return Session(access_token, refresh_token, expires_in, ttl, user, str(family_id))


def _event(event_type: str, user_id: str | None, **payload: Any) -> None:
    publish(Event(event_type=event_type, user_id=user_id, payload=payload), important=True)


def create_user(email: str, password: str, role: str = "user") -> User:
    """A new active user; the email is normalized and the password must pass the policy."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", code="invalid_role")
    email = normalize_email(email)
    check_password_policy(password, email)
    password_hash = hash_password(password)
    try:
        with db.connection() as conn:
            user = User.from_row(repo.insert_user(conn, uuid4(), email, password_hash, role))
    except UniqueViolation:
        raise Conflict("An account with this email already exists.", code="email_taken") from None
    _event("user_registered", user.id, role=user.role)
    return user


def register(email: str, password: str) -> User:
    """Self-service sign-up: always the `user` role."""
    return create_user(email, password, "user")


def login(email: str, password: str, *, source_ip: str) -> Session:
    """Unknown emails and wrong passwords take the same path, time and answer."""
    settings = get_settings()
    try:
        email = normalize_email(email)
    except InvalidInput:
        email = email.strip().lower()  # cannot be an account, but is throttled and answered the same
    with db.connection() as conn:
        repo.lock_login(conn, email)
        wait = max(
            repo.seconds_until_allowed(
                conn, "email", email, settings.login_max_failures, settings.login_failure_window
            ),
            repo.seconds_until_allowed(
                conn,
                "source_ip",
                source_ip,
                settings.login_max_failures_per_ip,
                settings.login_failure_window,
            ),
        )
        row = None if wait else repo.user_by_email(conn, email)
        verified = not wait and verify_password(row.password_hash if row else dummy_hash(), password)
        if not verified:
            if not wait:
                repo.record_login_failure(conn, email, source_ip)
            session = None
        elif row is None or row.status != "active":
            session = None
        else:
            repo.record_login(
                conn, row.id, hash_password(password) if needs_rehash(row.password_hash) else None
            )
            repo.clear_login_failures(conn, email)
            session = _start_session(conn, replace(User.from_row(row), last_login_at=datetime.now(UTC)))
    user_id = str(row.id) if row else None
    if wait:
        _event("login_failed", user_id, reason="throttled", source_ip=source_ip)
        raise TooManyRequests(
            "Too many failed sign-in attempts. Try again later.",
            code="too_many_attempts",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    if not verified:
        _event("login_failed", user_id, reason="invalid_credentials", source_ip=source_ip)
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if session is None:
        _event("login_failed", user_id, reason="account_disabled", source_ip=source_ip)
        raise Forbidden("This account is disabled.", code="account_disabled")
    _event("user_login", user_id, session_id=session.session_id, source_ip=source_ip)
    return session


def refresh(refresh_token: str) -> Session:
    """Single use: returns a new pair; a reused token revokes its whole family (theft detection)."""
    token_hash = _hash_token(refresh_token)
    reused_family: UUID | None = None
    session: Session | None = None
    with db.connection() as conn:
        token = repo.refresh_token_for_update(conn, token_hash)
        if token is None or token.revoked_at is not None:
            pass
        elif token.used_at is not None:
            repo.revoke_family(conn, token.family_id)
            reused_family = token.family_id
        elif token.expires_at > datetime.now(token.expires_at.tzinfo):
            row = repo.user_by_id(conn, token.user_id)
            if row is not None and row.status == "active":
                repo.mark_refresh_token_used(conn, token_hash)
                session = _rotate(conn, User.from_row(row), token.family_id)
    if reused_family is not None:
        assert token is not None
        _event("refresh_token_reused", str(token.user_id), session_id=str(reused_family))
        raise Unauthorized(
            "This refresh token was already used; the session has been signed out.",
            code="refresh_token_reused",
        )
    if session is None:
        raise Unauthorized("The refresh token is not valid.", code="invalid_refresh_token")
    return session


def logout(refresh_token: str) -> None:
    """Revokes the token's whole family; says nothing about whether the token existed."""
    with db.connection() as conn:
        token = repo.refresh_token_for_update(conn, _hash_token(refresh_token))
        if token is not None and token.revoked_at is None:
            repo.revoke_family(conn, token.family_id)
    if token is not None:
        _event("logout", str(token.user_id), session_id=str(token.family_id))


def authenticate(access_token: str) -> AccessClaims:
    """The token's claims if its signature, algorithm, key, issuer, audience and times are right."""
    return verify_access_token(access_token)


def current_user(claims: AccessClaims) -> User:
    """The token's user, if it still exists and is active, and the token's session is not over."""
    try:
        session_id = UUID(claims.session_id)
    except ValueError:
        raise Unauthorized("The token is not valid.", code="invalid_token") from None
    with db.connection() as conn:
        row = repo.user_by_id(conn, claims.user_id)
        live = row is not None and repo.session_is_live(conn, session_id)
    if row is not None and row.status != "active":
        raise Forbidden("This account is disabled.", code="account_disabled")
    if row is None or not live:
        raise Unauthorized("The session has ended; sign in again.", code="invalid_token")
    return User.from_row(row)


def change_password(
    claims: AccessClaims, current_password: str, new_password: str, *, source_ip: str = "unknown"
) -> Session:
    """Signs every session out (their access tokens stop working too) and returns a fresh pair.

    A wrong current password counts as a failed login, so a stolen access token cannot be used to
    guess the password unthrottled.
    """
    settings = get_settings()
    user = current_user(claims)
    with db.connection() as conn:
        repo.lock_login(conn, user.email)
        wait = repo.seconds_until_allowed(
            conn, "email", user.email, settings.login_max_failures, settings.login_failure_window
        )
        row = repo.user_by_id(conn, user.id)
        assert row is not None
        verified = not wait and verify_password(row.password_hash, current_password)
        if not wait and not verified:
            repo.record_login_failure(conn, user.email, source_ip)
    if wait:
        raise TooManyRequests(
            "Too many failed attempts. Try again later.",
            code="too_many_attempts",
            headers={"Retry-After": str(math.ceil(wait))},
        )
    if not verified:
        raise InvalidInput("The current password is incorrect.", code="wrong_password")
    if new_password == current_password:
        raise InvalidInput("Choose a password different from the current one.", code="weak_password")
    check_password_policy(new_password, user.email)
    with db.connection() as conn:
        repo.change_password(conn, row.id, hash_password(new_password))
        repo.revoke_user_sessions(conn, row.id)
        session = _start_session(conn, user)
    _event("password_changed", user.id)
    return session


def list_users(*, limit: int = 50, offset: int = 0) -> list[User]:
    with db.connection() as conn:
        return [User.from_row(r) for r in repo.list_users(conn, max(1, min(limit, 200)), max(0, offset))]


def set_user_status(user_id: str, status: str) -> User:
    """Disabling also revokes the user's sessions; their access tokens fail `current_user`."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_status")
    try:
        UUID(user_id)
    except ValueError:
        raise NotFound("No such user.") from None
    with db.connection() as conn:
        row = repo.set_status(conn, user_id, status)
        if row is not None and status == "disabled":
            repo.revoke_user_sessions(conn, user_id)
    if row is None:
        raise NotFound("No such user.")
    _event("user_status_changed", user_id, status=status)
    return User.from_row(row)
