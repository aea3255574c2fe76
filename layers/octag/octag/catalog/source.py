"""The catalog as an ETL source (`--format escape-catalog`): one searchable document per theme."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from octag.catalog import vocab
from octag.catalog.cleaning import Cafe, Catalog, Theme, clean_catalog
from octag.etl.documents import RecordError, SourceDocument
from octag.etl.extract.sources import Source

FORMAT = "escape-catalog"
_ACTIVITY_WORDS = {"low": "적음", "medium": "보통", "high": "많음"}


def read_catalog(source: Source) -> Catalog:
    """The cleaned catalog of a listings file, local or on S3; ValueError when it is not a listing."""
    with source.open() as stream:
        return clean_catalog(json.load(stream))


def extract_catalog(source: Source) -> Iterator[SourceDocument | RecordError]:
    """A document per cleaned theme (its id the theme's key), and an error per row cleaning refused."""
    path = source.uri
    catalog = read_catalog(source)
    for theme in catalog.themes:
        cafe = catalog.cafes_by_key[theme.cafe_key]
        yield SourceDocument(
            source_id=theme.key,
            source_uri=theme.source_urls[0] if theme.source_urls else str(path),
            text=theme_text(theme, cafe),
            format=FORMAT,
            metadata=theme_metadata(theme, cafe),
            title=f"{theme.name} ({_cafe_name(cafe)})",
        )
    for rejection in catalog.rejections:
        yield RecordError(rejection.source_url or str(path), rejection.location, rejection.reason)


def theme_text(theme: Theme, cafe: Cafe) -> str:
    """A Korean description of a theme built from its fields; unknown fields are left out."""
    lines = [f"{theme.name}: {_cafe_name(cafe)}의 방탈출 테마."]
    place = cafe.area if cafe.district is None else f"{cafe.area} ({cafe.district})"
    lines.append(f"지역: {place}." + (f" 주소: {cafe.address}." if cafe.address else ""))
    if theme.genres:
        lines.append(f"장르: {', '.join(theme.genres)}.")
    if players := _players(theme):
        lines.append(f"인원: {players}.")
    if theme.difficulty_label is not None:
        word = vocab.DIFFICULTY_WORDS[theme.difficulty_label]
        lines.append(f"난이도: {word} (5점 만점에 {theme.difficulty:g}점).")
    if theme.price_per_person is not None:
        lines.append(f"가격: 1인 {theme.price_per_person:,}원.")
    if len(theme.price_tiers) > 1:
        tiers = ", ".join(f"{players}인 {won:,}원" for players, won in theme.price_tiers)
        lines.append(f"인원별 1인 가격: {tiers}.")
    if theme.duration_minutes is not None:
        lines.append(f"소요 시간: {theme.duration_minutes}분.")
    if theme.activity is not None:
        lines.append(f"활동성: {_ACTIVITY_WORDS[theme.activity]}.")
    if theme.other_names:
        lines.append(f"다른 표기: {', '.join(theme.other_names)}.")
    return "\n".join(lines)


def theme_metadata(theme: Theme, cafe: Cafe) -> dict[str, Any]:
    """The theme's structured fields (the recommendation fields first), JSON-ready."""
    return {
        "theme": theme.name,
        "cafe": cafe.name,
        "branch": cafe.branch,
        "area": cafe.area,
        "genres": list(theme.genres),
        "min_players": theme.min_players,
        "max_players": theme.max_players,
        "difficulty": theme.difficulty_label,
        "price_per_person": theme.price_per_person,
        "duration_minutes": theme.duration_minutes,
        "theme_key": theme.key,
        "cafe_key": cafe.key,
        "district": cafe.district,
        "address": cafe.address,
        "difficulty_score": theme.difficulty,
        "activity": theme.activity,
        "price_tiers": [list(tier) for tier in theme.price_tiers],
        "booking_url": theme.booking_url or cafe.booking_url,
        "source_urls": list(theme.source_urls),
    }


def _cafe_name(cafe: Cafe) -> str:
    return cafe.name if cafe.branch is None else f"{cafe.name} {cafe.branch}"


def _players(theme: Theme) -> str | None:
    low, high = theme.min_players, theme.max_players
    if low is not None and high is not None:
        return f"{low}명" if low == high else f"{low}~{high}명"
    if high is not None:
        return f"최대 {high}명"
    if low is not None:
        return f"최소 {low}명"
    return None
