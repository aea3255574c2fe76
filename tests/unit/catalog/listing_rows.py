"""Hand-made listing rows in the shape of `seoul-themes.seed.json`, for the cleaning tests."""

from __future__ import annotations

from typing import Any

ZAMFIT = "잼핏 테마 상세"
INDEX = "ㅂㅌㅊ 전체 테마"
OFFICIAL = "카페 공식 사이트 직접 확인"


def theme(name: str, source: str = ZAMFIT, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "genre_labels": [],
        "min_players": None,
        "max_players": None,
        "duration_minutes": None,
        "price_text": None,
        "price_per_person": None,
        "difficulty_label": None,
        "activity_label": None,
        "source_url": f"https://example.test/{source}/{name}",
        "source_name": source,
    }
    return row | fields


def cafe(
    name: str = "제로월드", branch: str | None = "강남점", *themes: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "branch_name": branch,
        "area_label": "강남",
        "district": "서초구",
        "address": "서울 서초구 서초대로73길 40 지하1층",
        "source_url": "https://web.zamfit.co.kr/escapes/1",
        "themes": list(themes),
    }
    return row | fields


def listing(*cafes: dict[str, Any]) -> dict[str, Any]:
    return {"cafes": list(cafes)}
