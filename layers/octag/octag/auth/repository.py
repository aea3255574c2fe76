"""SQL for users, refresh-token families and failed logins (one home, always parameterized)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.rows import class_row


@dataclass(frozen=True)
class UserRow:
    id: UUID
    email: str
    password_hash: str
    role: str
    status: str
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class RefreshRow:
    family_id: UUID
    user_id: UUID
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None


_USER_COLUMNS = "id, email, password_hash, role, status, created_at, last_login_at"


def insert_user(conn: Connection[Any], user_id: UUID, email: str, password_hash: str, role: str) -> UserRow:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        cur.execute(
            f"INSERT INTO users (id, email, password_hash, role) VALUES (%s, %s, %s, %s) RETURNING {_USER_COLUMNS}",
            (user_id, email, password_hash, role),
        )
        row = cur.fetchone()
    assert row is not None
    return row


def user_by_email(conn: Connection[Any], email: str) -> UserRow | None:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        return cur.execute(
            f"SELECT {_USER_COLUMNS} FROM users WHERE lower(email) = lower(%s)", (email,)
        ).fetchone()


def user_by_id(conn: Connection[Any], user_id: UUID | str) -> UserRow | None:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        return cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,)).fetchone()


def list_users(conn: Connection[Any], limit: int, offset: int) -> list[UserRow]:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        return cur.execute(
            f"SELECT {_USER_COLUMNS} FROM users ORDER BY created_at, id LIMIT %s OFFSET %s", (limit, offset)
        ).fetchall()


def set_status(conn: Connection[Any], user_id: UUID | str, status: str) -> UserRow | None:
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        return cur.execute(
            f"UPDATE users SET status = %s WHERE id = %s RETURNING {_USER_COLUMNS}", (status, user_id)
        ).fetchone()


def record_login(conn: Connection[Any], user_id: UUID, new_hash: str | None) -> None:
    conn.execute(
        "UPDATE users SET last_login_at = now(), password_hash = coalesce(%s, password_hash) WHERE id = %s",
        (new_hash, user_id),
    )


def change_password(conn: Connection[Any], user_id: UUID, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))


def lock_login(conn: Connection[Any], email: str) -> None:
    """Serialize login attempts on one account for this transaction (throttle counts stay exact)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('login:' || %s, 0))", (email,))


# --- refresh tokens -----------------------------------------------------------------------------


def insert_refresh_token(
    conn: Connection[Any], token_hash: bytes, family_id: UUID, user_id: UUID, ttl_seconds: int
) -> None:
    conn.execute(
        """INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at)
           VALUES (%s, %s, %s, now() + make_interval(secs => %s))""",
        (token_hash, family_id, user_id, ttl_seconds),
    )


def refresh_token_for_update(conn: Connection[Any], token_hash: bytes) -> RefreshRow | None:
    with conn.cursor(row_factory=class_row(RefreshRow)) as cur:
        return cur.execute(
            """SELECT family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens
               WHERE token_hash = %s FOR UPDATE""",
            (token_hash,),
        ).fetchone()


def session_is_live(conn: Connection[Any], family_id: UUID | str) -> bool:
    """True while the family has an unrevoked token: logout, reuse, password change or disabling end it."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = %s AND revoked_at IS NULL)",
        (family_id,),
    ).fetchone()
    return bool(row and row[0])


def mark_refresh_token_used(conn: Connection[Any], token_hash: bytes) -> None:
    conn.execute("UPDATE refresh_tokens SET used_at = now() WHERE token_hash = %s", (token_hash,))


def revoke_family(conn: Connection[Any], family_id: UUID) -> None:
    conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = %s AND revoked_at IS NULL",
        (family_id,),
    )


def revoke_user_sessions(conn: Connection[Any], user_id: UUID | str) -> None:
    conn.execute(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (user_id,)
    )


# --- failed logins --------------------------------------------------------------------------------


def record_login_failure(conn: Connection[Any], email: str, source_ip: str) -> None:
    conn.execute("INSERT INTO login_failures (email, source_ip) VALUES (%s, %s)", (email, source_ip))


def clear_login_failures(conn: Connection[Any], email: str) -> None:
    conn.execute("DELETE FROM login_failures WHERE email = %s", (email,))


def seconds_until_allowed(
    conn: Connection[Any], column: str, value: str, max_failures: int, window_seconds: int
) -> float:
    """0 when fewer than `max_failures` failed within the window, else when the oldest counted one ages out."""
    assert column in ("email", "source_ip")
    row = conn.execute(
        f"""SELECT extract(epoch FROM failed_at + make_interval(secs => %s) - now())
            FROM login_failures WHERE {column} = %s AND failed_at > now() - make_interval(secs => %s)
            ORDER BY failed_at DESC OFFSET %s LIMIT 1""",
        (window_seconds, value, window_seconds, max_failures - 1),
    ).fetchone()
    return max(0.0, float(row[0])) if row else 0.0
