"""Escape-room recommendations: what the user asked for becomes filters, hybrid ranking orders within
them, and when too few themes pass, the least important constraint is dropped, one at a time."""

from __future__ import annotations

from typing import Any

from psycopg import Connection
from pydantic import BaseModel

from octag.search.hybrid import CatalogFilters, Hit, SearchQuery, search

CATALOG_COLLECTION = "escape_rooms"
# Least important first: a user bends on difficulty and budget before party size, genre and place.
RELAXATION_ORDER: tuple[tuple[str, ...], ...] = (
    ("difficulty",),
    ("min_duration", "max_duration"),
    ("min_price", "max_price"),
    ("party_size",),
    ("genres",),
    ("area",),
)


class Recommendations(BaseModel):
    hits: list[Hit]
    filters: CatalogFilters  # the filters the last hits were found with
    relaxed: list[str]  # constraints dropped to find enough, in the order they were dropped


def recommend(
    conn: Connection[Any],
    message: str,
    filters: CatalogFilters,
    *,
    k: int = 5,
    collection: str = CATALOG_COLLECTION,
) -> Recommendations:
    """Up to `k` themes: those meeting every filter first, then those found as constraints were relaxed."""
    hits = search(conn, SearchQuery(query=message, collection=collection, k=k, filters=filters))
    relaxed: list[str] = []
    for names in RELAXATION_ORDER:
        if len(hits) >= k:
            break
        present = [name for name in names if getattr(filters, name) not in (None, [])]
        if not present:
            continue
        filters = filters.model_copy(update=dict.fromkeys(present))
        relaxed.extend(present)
        found = {hit.id for hit in hits}
        wider = search(conn, SearchQuery(query=message, collection=collection, k=k, filters=filters))
        hits += [hit for hit in wider if hit.id not in found][: k - len(hits)]
    return Recommendations(hits=hits, filters=filters, relaxed=relaxed)


def catalog_themes(
    conn: Connection[Any],
    *,
    ids: list[str] | None = None,
    theme: str | None = None,
    cafe: str | None = None,
    collection: str = CATALOG_COLLECTION,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """The metadata of catalog theme documents by source id (in the order given), theme name or cafe name."""
    if ids is not None:
        rows = conn.execute(
            """SELECT d.metadata FROM unnest(%s::text[]) WITH ORDINALITY AS wanted(id, n)
                 JOIN documents d ON d.collection = %s AND d.source_id = wanted.id ORDER BY wanted.n""",
            (ids, collection),
        ).fetchall()
    else:
        rows = conn.execute(
            """SELECT metadata FROM documents
                WHERE collection = %s AND (%s::text IS NULL OR metadata->>'theme' = %s)
                  AND (%s::text IS NULL OR metadata->>'cafe' = %s)
                ORDER BY metadata->>'cafe', metadata->>'branch', metadata->>'theme' LIMIT %s""",
            (collection, theme, theme, cafe, cafe, limit),
        ).fetchall()
    return [row[0] for row in rows]
