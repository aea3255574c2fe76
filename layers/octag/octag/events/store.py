"""Events in PostgreSQL: insert once per `event_id`, prune past retention."""

from __future__ import annotations

from psycopg import Connection
from psycopg.types.json import Jsonb

from octag.events.schema import Event


def record_event(conn: Connection, event: Event) -> bool:
    """Store an event; False when it was already stored (a redelivered message)."""
    cur = conn.execute(
        """INSERT INTO events (event_id, event_type, version, occurred_at, user_id, payload)
           VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING""",
        (
            event.event_id,
            event.event_type,
            event.version,
            event.occurred_at,
            event.user_id,
            Jsonb(event.payload),
        ),
    )
    return cur.rowcount == 1


def prune_events(conn: Connection, retention_days: int) -> int:
    cur = conn.execute(
        "DELETE FROM events WHERE occurred_at < now() - make_interval(days => %s)", (retention_days,)
    )
    return cur.rowcount
