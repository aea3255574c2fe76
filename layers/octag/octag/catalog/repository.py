"""The catalog tables (`catalog_cafes`, `catalog_themes`): idempotent loading, names and the theme filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import Connection
from psycopg.types.json import Jsonb

from octag.catalog import vocab
from octag.catalog.cleaning import Catalog

_CAFE_COLUMNS = (
    "name", "branch", "area", "district", "address", "phone", "website_url", "booking_url", "source_urls",
)  # fmt: skip
_THEME_COLUMNS = (
    "cafe_id", "name", "other_names", "genres", "min_players", "max_players", "difficulty_score",
    "difficulty_label", "activity", "price_per_person", "duration_minutes", "booking_url", "image_url",
    "sources", "source_urls", "details",
)  # fmt: skip


@dataclass(frozen=True)
class UpsertCounts:
    cafes_inserted: int
    cafes_updated: int
    cafes_unchanged: int
    themes_inserted: int
    themes_updated: int
    themes_unchanged: int


@dataclass(frozen=True)
class ThemeRecord:
    """A theme as recommendations show it."""

    theme: str
    cafe: str
    branch: str | None
    area: str
    genres: list[str]
    min_players: int | None
    max_players: int | None
    difficulty: vocab.DifficultyLabel | None
    price_per_person: int | None
    duration_minutes: int | None


def upsert_catalog(conn: Connection[Any], catalog: Catalog) -> UpsertCounts:
    """Insert new cafes and themes, update changed ones by key; unchanged rows are left untouched."""
    cafe_rows = [
        (c.key, c.name, c.branch, c.area, c.district, c.address, c.phone, c.website_url, c.booking_url,
         list(c.source_urls))
        for c in catalog.cafes
    ]  # fmt: skip
    cafes = _upsert(conn, "catalog_cafes", _CAFE_COLUMNS, cafe_rows)
    cafe_ids = dict(
        conn.execute(
            "SELECT key, id FROM catalog_cafes WHERE key = ANY(%s)", ([c.key for c in catalog.cafes],)
        ).fetchall()
    )
    theme_rows = [
        (t.key, cafe_ids[t.cafe_key], t.name, list(t.other_names), list(t.genres), t.min_players,
         t.max_players, t.difficulty, t.difficulty_label, t.activity, t.price_per_person,
         t.duration_minutes, t.booking_url, t.image_url, list(t.sources), list(t.source_urls),
         Jsonb({"price_tiers": [list(tier) for tier in t.price_tiers]}))
        for t in catalog.themes
    ]  # fmt: skip
    themes = _upsert(conn, "catalog_themes", _THEME_COLUMNS, theme_rows)
    return UpsertCounts(
        cafes_inserted=cafes[0], cafes_updated=cafes[1], cafes_unchanged=len(cafe_rows) - sum(cafes),
        themes_inserted=themes[0], themes_updated=themes[1], themes_unchanged=len(theme_rows) - sum(themes),
    )  # fmt: skip


def _upsert(
    conn: Connection[Any], table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> tuple[int, int]:
    """(inserted, updated) by `key`; a row equal to the stored one is not written at all."""
    # Table and column names are this module's constants, never input.
    names = ", ".join(columns)
    excluded = ", ".join(f"EXCLUDED.{c}" for c in columns)
    statement = (
        f"INSERT INTO {table} (key, {names}) VALUES ({', '.join(['%s'] * (len(columns) + 1))}) "
        f"ON CONFLICT (key) DO UPDATE SET ({names}, updated_at) = ({excluded}, now()) "
        f"WHERE ({', '.join(f'{table}.{c}' for c in columns)}) IS DISTINCT FROM ({excluded}) "
        "RETURNING xmax = 0"  # true for an inserted row, false for an updated one
    )
    inserted = updated = 0
    with conn.cursor() as cur:
        cur.executemany(statement, rows, returning=True)
        while True:
            for (was_inserted,) in cur.fetchall():
                inserted += was_inserted
                updated += not was_inserted
            if not cur.nextset():
                break
    return inserted, updated


def theme_names(conn: Connection[Any]) -> list[tuple[str, list[str], str]]:
    """Every theme's (name, other names, cafe name): what the language analyzer recognizes."""
    rows = conn.execute(
        "SELECT t.name, t.other_names, c.name FROM catalog_themes t JOIN catalog_cafes c ON c.id = t.cafe_id"
    ).fetchall()
    return [(name, other_names or [], cafe) for name, other_names, cafe in rows]


def catalog_is_empty(conn: Connection[Any]) -> bool:
    """True when no theme has been loaded yet."""
    row = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM catalog_themes)").fetchone()
    return bool(row and row[0])


def find_themes(
    conn: Connection[Any],
    *,
    area: str | None = None,
    genres: Sequence[str] | None = None,
    party_size: int | None = None,
    difficulty: vocab.DifficultyLabel | None = None,
    max_price: int | None = None,
    max_duration: int | None = None,
    limit: int = 20,
) -> list[ThemeRecord]:
    """Themes matching every given filter, the most completely described first.

    `area` is an area or one of its synonyms ("홍대입구"), or a 구 ("마포구"); `genres` match any
    one of them, synonyms included. A theme with unknown player counts fits every party; one with
    an unknown price or duration never passes a maximum.
    """
    if difficulty is not None and difficulty not in vocab.DIFFICULTY_LABELS:
        raise ValueError(
            f"difficulty must be one of {', '.join(vocab.DIFFICULTY_LABELS)}, not {difficulty!r}"
        )
    conditions: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if area is not None:
        conditions.append("(c.area = %(area)s OR c.district = %(area)s)")
        params["area"] = vocab.canonical_area(area) or area.strip()
    if genres:
        conditions.append("t.genres && %(genres)s")
        params["genres"] = [vocab.canonical_genre(g) or g.strip() for g in genres]
    if party_size is not None:
        conditions.append("t.players @> %(party_size)s::integer")
        params["party_size"] = party_size
    if difficulty is not None:
        conditions.append("t.difficulty_label = %(difficulty)s")
        params["difficulty"] = difficulty
    if max_price is not None:
        conditions.append("t.price_per_person <= %(max_price)s")
        params["max_price"] = max_price
    if max_duration is not None:
        conditions.append("t.duration_minutes <= %(max_duration)s")
        params["max_duration"] = max_duration
    where = " AND ".join(conditions) or "true"
    rows = conn.execute(
        f"""SELECT t.name, c.name, c.branch, c.area, t.genres, t.min_players, t.max_players,
                   t.difficulty_label, t.price_per_person, t.duration_minutes
              FROM catalog_themes t JOIN catalog_cafes c ON c.id = t.cafe_id
             WHERE {where}
             ORDER BY (t.min_players IS NULL)::int + (t.max_players IS NULL)::int
                      + (t.difficulty_label IS NULL)::int + (t.price_per_person IS NULL)::int
                      + (t.duration_minutes IS NULL)::int + (cardinality(t.genres) = 0)::int,
                      t.key
             LIMIT %(limit)s""",
        params,
    ).fetchall()
    return [ThemeRecord(*row) for row in rows]
