"""Keyword, vector and hybrid search over small corpora with known answers, against real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from octag import db
from octag.errors import NotFound
from octag.etl.jobs import JobSource, create_job
from octag.etl.pipeline import run_job
from octag.search.hybrid import SearchQuery, keyword_terms, search
from tests.integration.etl.test_pipeline import write_jsonl

CORPUS = [
    {"id": "palace", "text": "경복궁은 조선 왕조의 법궁으로 1395년에 지어졌다. 광화문이 정문이다."},
    {"id": "river", "text": "한강은 서울을 동서로 가로지르는 강이며 여름에는 수영장이 열린다."},
    {"id": "kimchi", "text": "김치는 배추를 소금에 절여 고춧가루 양념으로 버무린 발효 음식이다."},
    {"id": "subway", "text": "서울 지하철 2호선은 강남역과 홍대입구역을 지나는 순환선이다."},
    {"id": "rocket", "text": "누리호는 한국이 독자 개발한 우주 발사체로 2022년 발사에 성공했다."},
]
ROOMS = [
    {"id": "r1", "text": "미궁: 강남의 공포 테마. 어둡고 무섭다.", "area": "강남", "genres": ["공포"],
     "min_players": 2, "max_players": 4, "difficulty": "hard", "price_per_person": 25000, "duration_minutes": 70},
    {"id": "r2", "text": "웃음의 방: 홍대의 코미디 테마. 가볍게 즐긴다.", "area": "홍대", "genres": ["코미디"],
     "min_players": 2, "max_players": 6, "difficulty": "easy", "price_per_person": 20000, "duration_minutes": 60},
    {"id": "r3", "text": "저택의 비밀: 강남의 공포 추리 테마.", "area": "강남", "genres": ["공포", "추리"],
     "min_players": 5, "max_players": 8, "difficulty": "normal", "price_per_person": 30000, "duration_minutes": 90},
    {"id": "r4", "text": "시간 여행: 강남의 판타지 테마.", "area": "강남", "genres": ["판타지"],
     "min_players": None, "max_players": None, "difficulty": None, "price_per_person": None, "duration_minutes": None},
]  # fmt: skip


def load(tmp_path: Path, collection: str, rows: list[dict]) -> None:
    path = write_jsonl(tmp_path / f"{collection}.jsonl", rows)
    with db.connection() as conn:
        job = create_job(conn, collection, JobSource(paths=[str(path)], id_field="id"))
    assert run_job(job.id).status == "succeeded"


def ids(collection: str, query: str, **options) -> list[str]:
    with db.connection() as conn:
        return [hit.id for hit in search(conn, SearchQuery(query=query, collection=collection, **options))]


@pytest.fixture
def corpus(octag_db, tmp_path) -> str:
    load(tmp_path, "wiki", CORPUS)
    load(tmp_path, "rooms", ROOMS)
    return "wiki"


def test_keyword_terms_drop_particles_and_stopwords():
    assert keyword_terms("강남에서 방탈출 테마 추천해줘") == ["강남"]
    assert keyword_terms("추천해줘") == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("경복궁의 정문은?", "palace"), ("배추로 만드는 발효 음식", "kimchi"), ("누리호 발사 성공", "rocket")],
)
def test_every_mode_finds_the_passage_that_answers(corpus, query, expected):
    for mode in ("keyword", "vector", "hybrid"):
        assert ids("wiki", query, mode=mode, k=3)[0] == expected, mode
    assert ids("wiki", query, fusion="rrf", k=3)[0] == expected


def test_keyword_search_finds_particles_glued_to_nouns(corpus):
    assert ids("wiki", "강남", mode="keyword") == ["subway"]  # the text says 강남역과
    assert ids("wiki", "홍대입구", mode="keyword") == ["subway"]


def test_vector_search_finds_a_paraphrase_without_shared_words(corpus):
    assert ids("wiki", "하늘로 쏘아 올린 로켓", mode="keyword") == []
    assert ids("wiki", "하늘로 쏘아 올린 로켓", mode="vector", k=1) == ["rocket"]
    assert ids("wiki", "하늘로 쏘아 올린 로켓", k=1) == ["rocket"]  # hybrid keeps vector-only hits


def test_hits_carry_their_score_breakdown(corpus):
    with db.connection() as conn:
        hits = search(conn, SearchQuery(query="한강 수영장", collection="wiki", k=5))
    top = hits[0]
    assert top.id == "river" and top.text == CORPUS[1]["text"] and top.chunk_id > 0
    assert top.scores.keyword and top.scores.keyword > 0 and top.scores.vector and top.scores.vector > 0
    # 0.7 and 0.3 of min-max normalized scores: the best in both lists scores exactly 1.
    assert top.score == top.scores.fused == pytest.approx(1.0)
    assert all(0 <= h.score <= 1 for h in hits) and [h.score for h in hits] == sorted(
        (h.score for h in hits), reverse=True
    )
    # Every candidate is scored in both modes; one without the query's words gets only its vector share.
    assert all(h.scores.keyword is not None and h.scores.vector is not None for h in hits)
    unmatched = [h for h in hits if h.scores.keyword == 0]
    assert unmatched and all(h.score <= 0.3 + 1e-9 for h in unmatched)
    with db.connection() as conn:
        ranked = search(conn, SearchQuery(query="한강 수영장", collection="wiki", k=5, fusion="rrf"))
    assert any(h.scores.keyword is None for h in ranked)  # rank fusion keeps each mode's own list


def test_weights_change_the_order(corpus):
    query = "서울의 강"
    by_keyword = ids("wiki", query, keyword_weight=1.0, vector_weight=0.0, k=5)
    by_vector = ids("wiki", query, keyword_weight=0.0, vector_weight=1.0, k=5)
    assert by_keyword[: len(ids("wiki", query, mode="keyword", k=5))] == ids(
        "wiki", query, mode="keyword", k=5
    )
    assert by_vector == ids("wiki", query, mode="vector", k=5)


def test_filters_are_applied_in_sql(corpus):
    assert set(ids("rooms", "테마", mode="vector", filters={"area": ["강남역"]})) == {"r1", "r3", "r4"}
    assert set(ids("rooms", "테마", mode="vector", filters={"genres": ["무서운"]})) == {"r1", "r3"}
    # A party of 4 fits 2-4 and unknown counts, not 5-8.
    assert set(ids("rooms", "테마", mode="vector", filters={"party_size": 4})) == {"r1", "r2", "r4"}
    assert set(ids("rooms", "테마", mode="vector", filters={"difficulty": ["easy", "normal"]})) == {
        "r2",
        "r3",
    }
    assert set(ids("rooms", "테마", mode="vector", filters={"max_price": 25000, "max_duration": 70})) == {
        "r1",
        "r2",
    }
    combined = {"area": ["강남"], "genres": ["공포"], "party_size": 6}
    assert ids("rooms", "무서운 테마", filters=combined) == ["r3"]
    assert ids("rooms", "공포", mode="keyword", filters=combined) == ["r3"]


def test_query_syntax_and_sql_metacharacters_are_just_characters(corpus):
    for query in ["'; DROP TABLE chunks; --", "a:* & !b | (c", "\\'", "!!!"]:
        assert isinstance(ids("wiki", query), list)
    assert ids("wiki", "경복궁 & | ! :*", mode="keyword") == ["palace"]


def test_an_unknown_collection_is_a_clear_error(corpus):
    with db.connection() as conn, pytest.raises(NotFound, match="nowhere"):
        search(conn, SearchQuery(query="x", collection="nowhere"))


def test_weighted_hybrid_scores_each_candidate_in_the_mode_that_did_not_propose_it(corpus, monkeypatch):
    from octag.search import hybrid

    monkeypatch.setattr(hybrid, "_MIN_CANDIDATES", 1)
    monkeypatch.setattr(hybrid, "_CANDIDATES_PER_K", 1)  # each mode proposes k chunks only
    query = "한국의 강과 궁궐"
    with db.connection() as conn:
        hits = search(conn, SearchQuery(query=query, collection="wiki", k=2))
        cosine = {
            h.chunk_id: h.scores.vector
            for h in search(conn, SearchQuery(query=query, collection="wiki", mode="vector", k=5))
        }
        bm25 = {
            h.chunk_id: h.scores.keyword
            for h in search(conn, SearchQuery(query=query, collection="wiki", mode="keyword", k=5))
        }
    assert len(hits) == 2
    # The modes disagree, so each hit was proposed by one mode and scored by the other.
    assert set(list(cosine)[:2]) != set(list(bm25)[:2])
    for hit in hits:
        assert hit.scores.vector == pytest.approx(cosine[hit.chunk_id])
        assert hit.scores.keyword == pytest.approx(bm25.get(hit.chunk_id, 0.0))
