"""`POST /api/rag/search` and `octag search` over the demo catalog of a running `octag up`."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.integration.stack.running import run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def api(catalog_user: httpx.Client, seed_job) -> httpx.Client:
    assert seed_job["status"] == "succeeded"
    return catalog_user


def test_search_finds_catalog_themes_with_filters_and_score_breakdown(api):
    body = {
        "query": "무서운 공포 테마",
        "collection": "escape_rooms",
        "k": 5,
        "filters": {"area": ["강남역"], "genres": ["호러"], "party_size": 4},
    }
    response = api.post("/api/rag/search", json=body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 5
    for hit in results:
        meta = hit["metadata"]
        assert meta["area"] == "강남" and "공포" in meta["genres"]
        assert (meta["min_players"] or 1) <= 4 <= (meta["max_players"] or 4)
        assert set(hit["scores"]) == {"keyword", "vector", "fused"} and hit["score"] == hit["scores"]["fused"]
        assert hit["id"] == meta["theme_key"] and hit["chunk_id"] > 0


def test_a_theme_is_found_by_its_name(api):
    response = api.post(
        "/api/rag/search", json={"query": "월야애담", "collection": "escape_rooms", "k": 3, "mode": "keyword"}
    )
    assert response.json()["results"][0]["metadata"]["theme"] == "월야애담"


def test_search_needs_a_token_and_valid_input(catalog_stack, api):
    url = f"{catalog_stack.http_url}/api/rag/search"
    assert httpx.post(url, json={"query": "x", "collection": "escape_rooms"}).status_code == 401
    for body, status in [
        ({"query": "", "collection": "escape_rooms"}, 422),
        ({"query": "x", "collection": "escape_rooms", "mode": "fuzzy"}, 422),
        ({"query": "x", "collection": "escape_rooms", "k": 0}, 422),
        ({"query": "x", "collection": "escape_rooms", "keyword_weight": 0, "vector_weight": 0}, 422),
        ({"query": "x", "collection": "escape_rooms", "filters": {"party_size": -1}}, 422),
        ({"query": "x", "collection": "nowhere"}, 404),
    ]:
        response = api.post("/api/rag/search", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]


def test_analyze_reads_intent_and_entities_with_the_catalog_names(catalog_stack, api):
    response = api.post("/api/rag/analyze", json={"message": "혜화역 근처 무서운 테마 둘이서 할만한 거"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["intent"] == "room_recommendation" and body["analyzer"] == "offline"
    assert body["entities"] == {
        "region": "대학로", "genres": ["공포"], "party_size": 2, "difficulty": None, "theme": None, "cafe": None,
    }  # fmt: skip
    inquiry = api.post("/api/rag/analyze", json={"message": "월야애담 가격 얼마예요?"}).json()
    assert (inquiry["intent"], inquiry["entities"]["theme"]) == ("room_inquiry", "월야애담")

    url = f"{catalog_stack.http_url}/api/rag/analyze"
    assert httpx.post(url, json={"message": "안녕"}).status_code == 401
    for body in ({"message": ""}, {"message": "x" * 2001}, {}, {"message": 3}):
        response = api.post("/api/rag/analyze", json=body)
        assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"


def test_cli_search_prints_the_documented_json(catalog_stack, seed_job, tmp_path):
    result = run_cli(
        catalog_stack, "search", "홍대 코미디", "--collection", "escape_rooms", "-k", "3", "--json"
    )
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3 and {"id", "chunk_id", "score", "text", "metadata"} <= set(hits[0])

    batch = tmp_path / "queries.txt"
    batch.write_text('강남 공포\n\n{"query": "대학로 감성 테마"}\n', encoding="utf-8")
    result = run_cli(
        catalog_stack, "search", "--batch", str(batch), "--collection", "escape_rooms", "--genre", "공포"
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["강남 공포", "대학로 감성 테마"]
    assert all("공포" in hit["metadata"]["genres"] for line in lines for hit in line["results"])

    text = run_cli(catalog_stack, "search", "강남 공포", "--collection", "escape_rooms", "-k", "2")
    assert text.returncode == 0 and text.stdout.startswith(" 1. ")
    bad = run_cli(catalog_stack, "search", "x", "--collection", "escape_rooms", "--players", "0")
    assert bad.returncode == 2 and "party_size" in bad.stderr
    missing = run_cli(catalog_stack, "search", "x", "--collection", "nowhere")
    assert missing.returncode == 1 and "nowhere" in missing.stderr
