"""Recommendations within filters, relaxing the least important constraint when too few themes pass."""

from __future__ import annotations

from octag import db
from octag.search.hybrid import CatalogFilters
from octag.search.recommend import recommend
from tests.integration.search.test_hybrid import ROOMS, load


def recommended(message: str, k: int, **filters):
    with db.connection() as conn:
        found = recommend(conn, message, CatalogFilters(**filters), k=k, collection="rooms")
    return [hit.id for hit in found.hits], found.relaxed


def test_nothing_is_relaxed_when_enough_themes_fit(octag_db, tmp_path):
    load(tmp_path, "rooms", ROOMS)
    assert recommended("무서운 테마", 2, area=["강남"], genres=["공포"]) == (["r1", "r3"], [])


def test_difficulty_goes_first_when_nothing_fits(octag_db, tmp_path):
    load(tmp_path, "rooms", ROOMS)
    # r3 fits 강남, 공포 and six players, but it is normal, not hard.
    assert recommended("공포", 1, area=["강남"], genres=["공포"], party_size=6, difficulty=["hard"]) == (
        ["r3"], ["difficulty"],
    )  # fmt: skip


def test_constraints_are_relaxed_in_order_and_strict_matches_stay_first(octag_db, tmp_path):
    load(tmp_path, "rooms", ROOMS)
    ids, relaxed = recommended("강남 공포 테마", 3, area=["강남"], genres=["공포"], party_size=4)
    assert ids[0] == "r1"  # the only theme meeting every constraint
    assert relaxed == ["party_size", "genres"] and set(ids) == {"r1", "r3", "r4"}
    assert recommended("테마", 10, area=["강남"])[1] == ["area"]  # only 3 in 강남: everything goes
