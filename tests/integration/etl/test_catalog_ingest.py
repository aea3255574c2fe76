"""The real crawled catalog through `--format escape-catalog`: cleaned tables and searchable documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from octag import db
from octag.catalog import vocab
from octag.catalog.cleaning import clean_catalog
from octag.catalog.repository import find_themes
from octag.etl.jobs import Job, JobSource, create_job
from octag.etl.pipeline import run_job
from octag.nlu import OfflineAnalyzer, names_from_catalog, names_from_database

CATALOG = Path(__file__).resolve().parents[3] / "local" / "seed" / "seoul-themes.seed.json"
# The crawl lists 229 cafe records and 887 theme records; cleaning merges 21 cafe records that are
# another record of the same cafe and 66 themes listed by both sources under two spellings.
CAFES, THEMES = 229 - 21, 887 - 66


def ingest_catalog() -> Job:
    with db.connection() as conn:
        job = create_job(conn, "escape_rooms", JobSource(paths=[str(CATALOG)], format="escape-catalog"))
    return run_job(job.id)


@pytest.fixture
def catalog_loaded(octag_db) -> Job:
    return ingest_catalog()


def test_the_catalog_lands_merged_in_tables_and_as_one_document_per_theme(catalog_loaded):
    assert (catalog_loaded.status, catalog_loaded.documents_loaded) == ("succeeded", THEMES)
    with db.connection() as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM catalog_cafes), (SELECT count(*) FROM catalog_themes),"
            " (SELECT count(*) FROM documents WHERE collection = 'escape_rooms'),"
            " (SELECT count(*) FROM catalog_themes WHERE cardinality(source_urls) > 1)"
        ).fetchone()
        forest = conn.execute(
            "SELECT name, other_names, sources FROM catalog_themes WHERE name = 'FOREST (포레스트)'"
        ).fetchone()
    assert counts[:3] == (CAFES, THEMES, THEMES)
    assert counts[3] >= 60  # merged themes keep the URLs of both sources
    assert forest == ("FOREST (포레스트)", ["포레스트 (FORREST)"], ["잼핏 테마 상세", "ㅂㅌㅊ 전체 테마"])


def test_no_null_strings_survive_anywhere(catalog_loaded):
    with db.connection() as conn:
        leftovers = conn.execute(
            """SELECT count(*) FROM catalog_themes t WHERE to_jsonb(t)::text ILIKE '%"null"%'
               UNION ALL SELECT count(*) FROM catalog_cafes c WHERE to_jsonb(c)::text ILIKE '%"null"%'
               UNION ALL SELECT count(*) FROM documents WHERE metadata::text ILIKE '%"null"%'
               UNION ALL SELECT count(*) FROM chunks WHERE text ILIKE '%null%'"""
        ).fetchall()
    assert leftovers == [(0,), (0,), (0,), (0,)]


def test_difficulty_is_on_one_scale_with_a_consistent_label(catalog_loaded):
    with db.connection() as conn:
        rows = conn.execute(
            "SELECT difficulty_score, difficulty_label FROM catalog_themes WHERE difficulty_score IS NOT NULL"
        ).fetchall()
        unknown_players = conn.execute(
            "SELECT count(*) FROM catalog_themes WHERE min_players IS NULL OR max_players IS NULL"
        ).fetchone()
        zeros = conn.execute(
            "SELECT count(*) FROM catalog_themes WHERE 0 IN (min_players, max_players, price_per_person)"
        ).fetchone()
    assert len(rows) > THEMES / 2
    assert all(1 <= score <= 5 and label == vocab.difficulty_label(float(score)) for score, label in rows)
    assert {label for _, label in rows} == {"easy", "normal", "hard"}
    assert unknown_players[0] > 0 and zeros == (0,)  # missing counts stay unknown, never 0


def test_catalog_filters_find_themes_that_fit(catalog_loaded):
    with db.connection() as conn:
        found = find_themes(conn, area="강남역", genres=["무서운"], party_size=4, limit=50)
        easy = find_themes(conn, difficulty="easy", max_price=25000, max_duration=60, limit=50)
    assert found, "강남 has horror themes for four"
    for theme in found:
        assert theme.area == "강남" and "공포" in theme.genres
        assert (theme.min_players or 1) <= 4 <= (theme.max_players or 99)
    assert easy and all(
        t.difficulty == "easy" and t.price_per_person <= 25000 and t.duration_minutes <= 60 for t in easy
    )


def test_ingesting_the_catalog_again_changes_nothing(catalog_loaded):
    with db.connection() as conn:
        before = conn.execute("SELECT max(updated_at) FROM catalog_themes").fetchone()
    again = ingest_catalog()
    with db.connection() as conn:
        after = conn.execute("SELECT max(updated_at), count(*) FROM catalog_themes").fetchone()
    assert (again.status, again.documents_loaded, again.documents_skipped) == ("succeeded", 0, THEMES)
    assert after == (before[0], THEMES)


def test_the_analyzer_reads_the_same_names_from_the_tables_as_from_the_seed(catalog_loaded):
    with db.connection() as conn:
        from_tables = names_from_database(conn)
    from_seed = names_from_catalog(clean_catalog(json.loads(CATALOG.read_text())))
    assert len(from_tables) == len(from_seed) > THEMES
    entities = OfflineAnalyzer(from_tables).analyze("월야애담 테마 몇 명까지 돼요?").entities
    assert entities.theme == "월야애담"
