"""The BM25 statistics the chunk triggers keep (migration 0006), and the ranking that uses them."""

from __future__ import annotations

from pathlib import Path

from octag import db
from octag.search import hybrid
from octag.search.hybrid import keyword_plan
from tests.integration.etl.test_pipeline import ingest, write_jsonl
from tests.integration.search.test_hybrid import ids, load


def statistics(collection: str) -> tuple[tuple[int, int], dict[str, int]]:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT chunk_count, lexeme_count FROM collections WHERE name = %s", (collection,)
        ).fetchone()
        lexemes = conn.execute(
            "SELECT lexeme, chunks FROM collection_lexemes WHERE collection = %s", (collection,)
        ).fetchall()
    assert row is not None
    return (row[0], row[1]), dict(lexemes)


def recounted(collection: str) -> tuple[tuple[int, int], dict[str, int]]:
    """The same figures counted from the chunks themselves."""
    with db.connection() as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(length(tsv)), 0) FROM chunks WHERE collection = %s", (collection,)
        ).fetchone()
        lexemes = conn.execute(
            "SELECT u.lexeme, count(*) FROM chunks c, unnest(c.tsv) u WHERE c.collection = %s GROUP BY 1",
            (collection,),
        ).fetchall()
    assert row is not None
    return (row[0], row[1]), dict(lexemes)


def test_statistics_follow_loads_replacements_and_prunes(octag_db, tmp_path: Path):
    source = tmp_path / "docs.jsonl"
    write_jsonl(
        source,
        [
            {"id": "a", "text": "경복궁은 조선의 법궁이다. 광화문이 정문이다."},
            {"id": "b", "text": "한강은 서울을 가로지른다. 조선 시대에도 한강은 중요했다."},
            {"id": "c", "text": "김치는 발효 음식이다."},
        ],
    )
    ingest([source], id_field="id")
    (chunks, _), lexemes = statistics("docs")
    assert chunks == 3 and lexemes["조선"] == 2 and lexemes["김치"] == 1
    assert statistics("docs") == recounted("docs")

    write_jsonl(
        source,
        [
            {"id": "a", "text": "경복궁은 조선의 법궁이다. 광화문이 정문이다."},
            {"id": "b", "text": "한강에는 여름마다 수영장이 열린다."},  # replaced: 조선 leaves it
        ],
    )
    ingest([source], id_field="id", prune=True)  # c is pruned: 김치 leaves the collection
    (chunks, _), lexemes = statistics("docs")
    assert chunks == 2 and lexemes["조선"] == 1 and "김치" not in lexemes and lexemes["수영장"] == 1
    assert statistics("docs") == recounted("docs")

    with db.connection() as conn:  # chunks rewritten in place count out and back in
        conn.execute("UPDATE chunks SET lexemes = lexemes || ' 궁궐' WHERE collection = 'docs'")
    assert statistics("docs")[1]["궁궐"] == 2
    assert statistics("docs") == recounted("docs")


def test_rare_words_outweigh_common_ones(octag_db, tmp_path: Path, monkeypatch):
    common = [{"id": f"n{i}", "text": f"서울 소식 {i}번: 서울의 날씨는 맑음."} for i in range(8)]
    load(tmp_path, "news", [*common, {"id": "rare", "text": "부산 소식: 부산 해운대에 비가 온다."}])
    # Both words once per query; 서울 is everywhere (low idf), 해운대 in one document.
    assert ids("news", "서울 해운대", mode="keyword")[0] == "rare"
    with db.connection() as conn:
        plan = keyword_plan(conn, "news", "서울 해운대")
    assert plan is not None
    idf = dict(zip(plan.lexemes, plan.idfs, strict=True))
    assert idf["해운대"] > 4 * idf["서울"] > 0
    assert plan.selecting == "'해운대' | '서울'"  # rarest first, all within the candidate budget
    # Over budget, the commoner lexeme only scores; the rarest always selects.
    monkeypatch.setattr(hybrid, "KEYWORD_CANDIDATE_BUDGET", 5)
    with db.connection() as conn:
        over_budget = keyword_plan(conn, "news", "서울 해운대")
    assert over_budget is not None and over_budget.selecting == "'해운대'"
    assert ids("news", "서울 해운대", mode="keyword", k=20) == ["rare"]
    assert set(ids("news", "서울", mode="keyword", k=20)) == {f"n{i}" for i in range(8)}


def test_a_term_matches_its_one_syllable_compounds(octag_db, tmp_path: Path):
    load(
        tmp_path,
        "places",
        [
            {"id": "station", "text": "강남역 근처의 카페"},
            {"id": "district", "text": "강남구청 앞 공원"},  # 강남구청: two syllables longer
            {"id": "exact", "text": "강남 한복판의 서점"},
        ],
    )
    assert set(ids("places", "강남", mode="keyword")) == {"station", "exact"}
    with db.connection() as conn:
        plan = keyword_plan(conn, "places", "강남 없는말")
    assert plan is not None and set(plan.lexemes) == {"강남", "강남역"} and set(plan.terms) == {"강남"}


def test_names_kiwi_keeps_whole_match_as_the_chunks_hold_them(octag_db, tmp_path: Path):
    # kiwi keeps 마리 앙투아네트 as one lexeme with its space; the tsvector holds two words.
    load(
        tmp_path,
        "people",
        [
            {"id": "queen", "text": "마리 앙투아네트는 루이 16세의 왕비였다."},
            {"id": "king", "text": "루이 14세는 베르사유 궁전을 지었다."},
        ],
    )
    assert ids("people", "마리 앙투아네트의 남편은?", mode="keyword") == ["queen"]
