"""The turn pipeline over the real catalog in PostgreSQL: grounded offline answers, multi-turn context,
persistence, and the LLM path with LangChain fake chat models (streaming, fallback)."""

from __future__ import annotations

import time

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from octag import db
from octag.auth import service
from octag.chat.pipeline import run_turn
from octag.chat.schema import TurnRequest
from octag.chat.sessions import list_messages
from octag.config import get_settings
from octag.errors import NotFound


class MeteredFakeModel(GenericFakeChatModel):
    """Streams its message word by word, then reports token usage in a last chunk as providers do."""

    def _stream(self, *args, **kwargs):
        yield from super()._stream(*args, **kwargs)
        usage = {"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))


@pytest.fixture
def user_id(catalog_db) -> str:
    return service.create_user("chat-user@example.com", "correct horse battery").id


def turn(user_id: str, message: str, session=None, **options):
    chunks: list[str] = []
    result = run_turn(
        user_id, TurnRequest(message=message, session_id=session), on_chunk=chunks.append, **options
    )
    return result, chunks


def test_a_recommendation_is_grounded_in_the_catalog_and_streamed(user_id):
    result, chunks = turn(user_id, "강남에서 무서운 테마 추천해줘")
    assert result.intent == "room_recommendation"
    assert (result.entities.region, result.entities.genres) == ("강남", ["공포"])
    assert len(result.recommendations) == 5 and not result.relaxed
    for rec in result.recommendations:
        assert rec.area == "강남" and "공포" in rec.genres and rec.why[:2] == ["강남 지역", "공포 장르"]
        assert rec.theme in result.answer and rec.cafe in result.answer
        if rec.price_per_person is not None:
            assert f"{rec.price_per_person:,}원" in result.answer
    assert len(chunks) > 3 and "".join(chunks) == result.answer
    assert result.usage.provider == "offline" and result.usage.cost_usd == 0
    assert set(result.timings.model_dump()) == {"nlu", "retrieval", "answer", "persistence", "events"}


def test_follow_ups_keep_the_context_and_refer_to_the_last_list(user_id):
    first, _ = turn(user_id, "강남에서 공포 테마 추천해줘")
    second, _ = turn(user_id, "4명이면?", first.session_id)
    assert second.intent == "room_recommendation"
    assert (second.entities.region, second.entities.genres, second.entities.party_size) == (
        "강남",
        ["공포"],
        4,
    )
    for rec in second.recommendations:
        assert rec.area == "강남" and "공포" in rec.genres
        assert (rec.min_players or 1) <= 4 <= (rec.max_players or 4)
    third, _ = turn(user_id, "그 중에 제일 쉬운 거", first.session_id)
    assert len(third.recommendations) == 1
    easiest = third.recommendations[0]
    listed = {r.theme_key: r for r in second.recommendations}
    assert easiest.theme_key in listed
    rank = {"easy": 0, "normal": 1, "hard": 2}
    known = [rank[r.difficulty] for r in second.recommendations if r.difficulty]
    assert easiest.difficulty and rank[easiest.difficulty] == min(known)
    assert easiest.theme in third.answer and "가장 쉬운" in third.answer

    with db.connection() as conn:
        messages, before = list_messages(conn, user_id, first.session_id)
    assert [m.role for m in messages] == ["user", "assistant"] * 3 and before is None
    assert (
        messages[-1].id == third.message_id
        and messages[-1].recommendations[0]["theme_key"] == easiest.theme_key
    )


def test_a_question_about_one_theme_of_the_list_answers_its_facts(user_id):
    first, _ = turn(user_id, "강남에서 공포 테마 추천해줘")
    assert len(first.recommendations) >= 2
    second = first.recommendations[1]
    asked, _ = turn(user_id, "두 번째 거 가격 얼마야?", first.session_id)
    assert asked.intent == "room_inquiry"
    assert [r.theme_key for r in asked.recommendations] == [second.theme_key]
    assert second.theme in asked.answer
    if second.price_per_person is not None:
        assert f"{second.price_per_person:,}원" in asked.answer
    # The list is still the session's: the next reference works on it too.
    again, _ = turn(user_id, "첫 번째 테마는 어디에 있어?", first.session_id)
    assert [r.theme_key for r in again.recommendations] == [first.recommendations[0].theme_key]


def test_an_inquiry_answers_the_asked_fact_from_the_record(user_id):
    result, _ = turn(user_id, "월야애담 가격 얼마예요?")
    assert result.intent == "room_inquiry" and result.entities.theme == "월야애담"
    theme = result.recommendations[0]
    assert theme.theme == "월야애담"
    if theme.price_per_person is not None:
        assert f"가격은 1인 {theme.price_per_person:,}원" in result.answer
    else:
        assert "등록된 정보가 없어요" in result.answer


def test_general_chat_steers_and_unknown_sessions_are_not_found(user_id):
    result, _ = turn(user_id, "안녕하세요")
    assert result.intent == "general_chat" and result.recommendations == []
    assert result.answer.startswith("안녕하세요!")
    other = service.create_user("someone-else@example.com", "correct horse battery").id
    with pytest.raises(NotFound):
        turn(other, "4명이면?", result.session_id)


def test_an_llm_answer_streams_with_usage_and_cost(user_id):
    reply = AIMessage(content="강남의 공포 테마를 골라 봤어요.")
    result, chunks = turn(user_id, "강남 공포 테마 추천", model=MeteredFakeModel(messages=iter([reply])))
    assert result.answer == reply.content and len(chunks) > 1 and result.fallback_reason is None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (1200, 80)
    assert len(result.recommendations) == 5  # retrieval does not depend on the provider


def test_a_failing_llm_falls_back_to_the_offline_answer_and_says_so(user_id):
    broken = FakeListChatModel(responses=["첫 부분만 나오고 끊깁니다"], error_on_chunk_number=3)
    result, chunks = turn(user_id, "강남 공포 테마 추천", model=broken)
    assert result.fallback_reason and "Error" in result.fallback_reason
    offline, _ = turn(user_id, "강남 공포 테마 추천", model=None)
    assert result.answer.endswith(offline.answer) and "".join(chunks) == result.answer


def test_without_a_catalog_the_answer_says_it_is_not_ready(octag_db):
    user = service.create_user("early-bird@example.com", "correct horse battery").id
    result, _ = turn(user, "강남에서 무서운 테마 추천해줘")
    assert result.recommendations == [] and "아직 준비되지 않았어요" in result.answer


class SlowFakeModel(GenericFakeChatModel):
    """Streams one word, then stalls longer than the answer may take."""

    def _stream(self, *args, **kwargs):
        for n, chunk in enumerate(super()._stream(*args, **kwargs)):
            if n == 1:
                time.sleep(3)
            yield chunk


def test_a_stalled_llm_is_cut_off_at_the_timeout(user_id, monkeypatch):
    monkeypatch.setenv("OCTAG_LLM_TIMEOUT", "1")
    get_settings.cache_clear()
    slow = SlowFakeModel(messages=iter([AIMessage(content="느린 답변이 여기서 멈춥니다")]))
    result, chunks = turn(user_id, "강남 공포 테마 추천", model=slow)
    assert result.fallback_reason == "the LLM did not finish within 1 s"
    assert result.answer.startswith("느린") and "테마 5개를 추천해 드릴게요" in result.answer
    assert "".join(chunks) == result.answer
