"""The records a turn is answered from: recommended themes, one theme's (or cafe's) facts, or passages
of the ingested document collections."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection

from octag.catalog import vocab
from octag.chat.context import Order, Reading
from octag.chat.schema import Recommendation, Source
from octag.errors import NotFound
from octag.etl.store import collection_names
from octag.nlu.schema import Entities
from octag.search.hybrid import CatalogFilters, SearchQuery, search
from octag.search.recommend import CATALOG_COLLECTION, catalog_themes, recommend

RECOMMENDATIONS = 5
PASSAGES = 3
_DIFFICULTY_RANK = {"easy": 0, "normal": 1, "hard": 2}


@dataclass
class Records:
    recommendations: list[Recommendation] = field(default_factory=list)
    facts: list[Recommendation] = field(default_factory=list)  # room_inquiry: the theme, or a cafe's themes
    sources: list[Source] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    catalog_missing: bool = False  # no escape-room catalog has been loaded (yet)


def retrieve(conn: Connection[Any], message: str, reading: Reading, last_list: list[str]) -> Records:
    if reading.intent == "room_recommendation":
        return _recommendations(conn, message, reading, last_list)
    if reading.intent == "room_inquiry":
        named = (
            catalog_themes(conn, ids=[reading.referred])
            if reading.referred
            else _named(conn, reading.entities)
        )
        return Records(facts=[_recommendation(m, reading.entities) for m in named])
    if reading.intent == "document_qa":
        return Records(sources=_passages(conn, message))
    return Records()


def _named(conn: Connection[Any], named: Entities) -> list[dict[str, Any]]:
    """The theme (at the named cafe, if that narrows it) or the cafe's themes."""
    if named.theme is None:
        return catalog_themes(conn, cafe=named.cafe) if named.cafe else []
    at_cafe = catalog_themes(conn, theme=named.theme, cafe=named.cafe) if named.cafe else []
    return at_cafe or catalog_themes(conn, theme=named.theme)


def _recommendations(conn: Connection[Any], message: str, reading: Reading, last_list: list[str]) -> Records:
    wanted = reading.entities
    if reading.within_last:
        themes = [m for m in catalog_themes(conn, ids=last_list) if _fits_party(m, wanted.party_size)]
        themes = _ordered(themes, reading.order)
        if reading.order is not None:
            themes = themes[:1]
        return Records(recommendations=[_recommendation(m, wanted) for m in themes])
    filters = CatalogFilters(
        area=[wanted.region] if wanted.region else None,
        genres=wanted.genres or None,
        party_size=wanted.party_size,
        difficulty=[wanted.difficulty] if wanted.difficulty else None,
    )
    try:
        found = recommend(conn, _query_text(message, wanted), filters, k=RECOMMENDATIONS)
    except NotFound:  # the catalog collection does not exist yet (e.g. the demo seed is still loading)
        return Records(catalog_missing=True)
    themes = _ordered([hit.metadata for hit in found.hits], reading.order)
    return Records(recommendations=[_recommendation(m, wanted) for m in themes], relaxed=found.relaxed)


def _passages(conn: Connection[Any], message: str) -> list[Source]:
    sources: list[Source] = []
    for collection in collection_names(conn):
        if collection == CATALOG_COLLECTION:
            continue
        for hit in search(conn, SearchQuery(query=message, collection=collection, k=PASSAGES)):
            sources.append(
                Source(
                    collection=collection,
                    id=hit.id,
                    chunk_id=hit.chunk_id,
                    title=hit.title,
                    text=hit.text,
                    score=hit.score,
                )
            )
    # Fused scores are normalized within each collection: each collection's best is near 1.
    return sorted(sources, key=lambda s: -s.score)[:PASSAGES]


def _query_text(message: str, wanted: Entities) -> str:
    """The search text: what the session has asked for so far, then the message's own words."""
    words = [wanted.region or "", *wanted.genres]
    if wanted.difficulty:
        words.append(vocab.DIFFICULTY_WORDS[wanted.difficulty])
    return " ".join([*filter(None, words), message])


def _ordered(themes: list[dict[str, Any]], order: Order | None) -> list[dict[str, Any]]:
    if order is None:
        return themes
    keys = {
        "easiest": lambda m: _DIFFICULTY_RANK.get(m.get("difficulty") or ""),
        "hardest": lambda m: -_DIFFICULTY_RANK[m["difficulty"]] if m.get("difficulty") else None,
        "cheapest": lambda m: m.get("price_per_person"),
        "priciest": lambda m: -m["price_per_person"] if m.get("price_per_person") else None,
        "shortest": lambda m: m.get("duration_minutes"),
        "longest": lambda m: -m["duration_minutes"] if m.get("duration_minutes") else None,
    }
    key = keys[order]
    known = [m for m in themes if key(m) is not None]
    # A stable sort keeps the ranking among equals; themes missing the field go last.
    return sorted(known, key=key) + [m for m in themes if key(m) is None]


def _fits_party(metadata: dict[str, Any], party_size: int | None) -> bool:
    if party_size is None:
        return True
    low, high = metadata.get("min_players"), metadata.get("max_players")
    return (low is None or low <= party_size) and (high is None or party_size <= high)


def _recommendation(metadata: dict[str, Any], wanted: Entities) -> Recommendation:
    fields = {key: metadata.get(key) for key in Recommendation.model_fields if key != "why"}
    return Recommendation.model_validate(
        {**fields, "genres": metadata.get("genres") or [], "why": _why(metadata, wanted)}
    )


def _why(metadata: dict[str, Any], wanted: Entities) -> list[str]:
    """The user's constraints this theme meets, in words."""
    reasons = []
    if wanted.region and wanted.region in (metadata.get("area"), metadata.get("district")):
        reasons.append(f"{wanted.region} 지역")
    elif wanted.region and vocab.canonical_area(wanted.region) == metadata.get("area"):
        reasons.append(f"{metadata['area']} 지역")
    matched = [g for g in wanted.genres if g in (metadata.get("genres") or [])]
    if matched:
        reasons.append(f"{'·'.join(matched)} 장르")
    if wanted.party_size and _fits_party(metadata, wanted.party_size):
        reasons.append(f"{wanted.party_size}명 가능")
    if wanted.difficulty and metadata.get("difficulty") == wanted.difficulty:
        reasons.append(f"난이도 {vocab.DIFFICULTY_WORDS[wanted.difficulty]}")
    return reasons
