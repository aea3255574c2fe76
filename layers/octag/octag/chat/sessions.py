"""Chat sessions and messages in PostgreSQL. Every read and write is scoped to the owning user: another
user's session is indistinguishable from a missing one (404)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.types.json import Jsonb

from octag.chat.context import SessionContext
from octag.chat.schema import SessionSummary, StoredMessage, TurnResult
from octag.errors import InvalidInput, NotFound

_TITLE_CHARS = 40


@dataclass
class Session:
    id: UUID
    user_id: str
    context: SessionContext = field(default_factory=SessionContext)
    exists: bool = False  # False until the first turn is saved


def load_session(conn: Connection[Any], user_id: str, session_id: UUID) -> Session:
    row = conn.execute(
        "SELECT context FROM chat_sessions WHERE id = %s AND user_id = %s", (session_id, user_id)
    ).fetchone()
    if row is None:
        raise NotFound("No such chat session.", code="session_not_found")
    return Session(session_id, user_id, SessionContext.model_validate(row[0]), exists=True)


def save_turn(conn: Connection[Any], session: Session, result: TurnResult, details: dict[str, Any]) -> int:
    """Store the user's message and the answer in one transaction; the answer's message id."""
    if session.exists:
        conn.execute(
            """UPDATE chat_sessions SET context = %s, message_count = message_count + 2, updated_at = now()
                WHERE id = %s""",
            (Jsonb(session.context.model_dump(mode="json")), session.id),
        )
    else:
        conn.execute(
            """INSERT INTO chat_sessions (id, user_id, title, context, message_count)
               VALUES (%s, %s, %s, %s, 2)""",
            (
                session.id,
                session.user_id,
                _title(result.message),
                Jsonb(session.context.model_dump(mode="json")),
            ),
        )
        session.exists = True
    entities = Jsonb(result.entities.model_dump(mode="json"))
    conn.execute(
        "INSERT INTO chat_messages (session_id, role, text, intent, entities) VALUES (%s, 'user', %s, %s, %s)",
        (session.id, result.message, result.intent, entities),
    )
    row = conn.execute(
        """INSERT INTO chat_messages
               (session_id, role, text, intent, entities, recommendations, sources, usage, latency_ms, details)
           VALUES (%s, 'assistant', %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (
            session.id,
            result.answer,
            result.intent,
            entities,
            Jsonb([r.model_dump(mode="json") for r in result.recommendations]),
            Jsonb([s.model_dump(mode="json") for s in result.sources]),
            Jsonb(result.usage.model_dump(mode="json")),
            result.latency_ms,
            Jsonb(details),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def list_sessions(
    conn: Connection[Any], user_id: str, *, limit: int = 20, cursor: str | None = None
) -> tuple[list[SessionSummary], str | None]:
    """The user's sessions, most recently active first; the cursor of the next page, if any."""
    after = _decode_cursor(cursor) if cursor else None
    rows = conn.execute(
        """SELECT id, title, created_at, updated_at, message_count FROM chat_sessions
            WHERE user_id = %s AND (%s::timestamptz IS NULL OR (updated_at, id) < (%s::timestamptz, %s::uuid))
            ORDER BY updated_at DESC, id DESC LIMIT %s""",
        (user_id, after and after[0], after and after[0], after and after[1], limit + 1),
    ).fetchall()
    page = rows[:limit]
    sessions = [
        SessionSummary(
            id=r[0], title=r[1], created_at=r[2].isoformat(), updated_at=r[3].isoformat(), message_count=r[4]
        )
        for r in page
    ]
    next_cursor = _encode_cursor(page[-1][3], page[-1][0]) if len(rows) > limit else None
    return sessions, next_cursor


def list_messages(
    conn: Connection[Any], user_id: str, session_id: UUID, *, limit: int = 50, before: int | None = None
) -> tuple[list[StoredMessage], int | None]:
    """A page of the session's messages, oldest first, ending before message `before` (None: the latest);
    the `before` of the previous page, if there is one."""
    load_session(conn, user_id, session_id)
    rows = conn.execute(
        """SELECT id, role, text, intent, entities, recommendations, sources, usage, latency_ms, created_at,
                  details
             FROM chat_messages WHERE session_id = %s AND (%s::bigint IS NULL OR id < %s)
            ORDER BY id DESC LIMIT %s""",
        (session_id, before, before, limit + 1),
    ).fetchall()
    page = list(reversed(rows[:limit]))
    messages = [
        StoredMessage(
            id=r[0],
            role=r[1],
            text=r[2],
            intent=r[3],
            entities=r[4],
            recommendations=r[5],
            sources=r[6],
            usage=r[7],
            latency_ms=r[8],
            created_at=r[9].isoformat(),
            **r[10],
        )
        for r in page
    ]
    return messages, (messages[0].id if len(rows) > limit else None)


def delete_session(conn: Connection[Any], user_id: str, session_id: UUID) -> None:
    cur = conn.execute("DELETE FROM chat_sessions WHERE id = %s AND user_id = %s", (session_id, user_id))
    if cur.rowcount == 0:
        raise NotFound("No such chat session.", code="session_not_found")


def assistant_message_exists(conn: Connection[Any], user_id: str, session_id: UUID, message_id: int) -> bool:
    row = conn.execute(
        """SELECT 1 FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id
            WHERE m.id = %s AND m.session_id = %s AND s.user_id = %s AND m.role = 'assistant'""",
        (message_id, session_id, user_id),
    ).fetchone()
    return row is not None


def _title(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1] + "…"


def _encode_cursor(updated_at: datetime, session_id: UUID) -> str:
    return base64.urlsafe_b64encode(f"{updated_at.isoformat()}|{session_id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        stamp, _, sid = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(stamp), UUID(sid)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not one this API gave out.", code="invalid_cursor") from exc
