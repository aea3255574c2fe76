"""Follow-up messages read against what the session remembers."""

from __future__ import annotations

from octag.chat.context import SessionContext, read_in_context, remember
from octag.nlu.schema import Entities, Understanding

AFTER_GANGNAM_HORROR = SessionContext(
    intent="room_recommendation",
    entities=Entities(region="강남", genres=["공포"]),
    recommended=["a", "b", "c"],
)


def understood(intent: str, **entities) -> Understanding:
    return Understanding(intent=intent, confidence=0.6, entities=Entities(**entities))


def test_a_follow_up_keeps_earlier_constraints_and_overrides_the_ones_it_names():
    reading = read_in_context(
        "4명이면?", understood("room_recommendation", party_size=4), AFTER_GANGNAM_HORROR
    )
    assert reading.intent == "room_recommendation" and not reading.within_last
    assert (reading.entities.region, reading.entities.genres, reading.entities.party_size) == (
        "강남",
        ["공포"],
        4,
    )
    moved = read_in_context("홍대는?", understood("room_recommendation", region="홍대"), AFTER_GANGNAM_HORROR)
    assert (moved.entities.region, moved.entities.genres) == ("홍대", ["공포"])


def test_the_last_list_is_referred_to_and_ranked():
    reading = read_in_context(
        "그 중에 제일 쉬운 거", understood("general_chat", difficulty="easy"), AFTER_GANGNAM_HORROR
    )
    assert reading.intent == "room_recommendation" and reading.within_last and reading.order == "easiest"
    assert reading.entities.difficulty is None  # ranks the list rather than filtering it
    cheapest = read_in_context("거기서 제일 싼 걸로", understood("general_chat"), AFTER_GANGNAM_HORROR)
    assert (cheapest.within_last, cheapest.order) == (True, "cheapest")


def test_messages_that_are_not_follow_ups_stand_alone():
    for message, understanding in [
        ("고마워", understood("general_chat")),
        ("월야애담 가격 얼마야?", understood("room_inquiry", theme="월야애담")),
        ("환불 규정 알려줘", understood("document_qa")),
    ]:
        reading = read_in_context(message, understanding, AFTER_GANGNAM_HORROR)
        assert reading.intent == understanding.intent and reading.entities == understanding.entities
    fresh = read_in_context("4명이면?", understood("room_recommendation", party_size=4), SessionContext())
    assert fresh.entities.region is None and not fresh.within_last
    nothing_listed = SessionContext(intent="room_recommendation", entities=Entities(region="강남"))
    assert not read_in_context("그 중에 쉬운 거", understood("general_chat"), nothing_listed).within_last


def test_the_context_remembers_recommendations_only():
    reading = read_in_context(
        "4명이면?", understood("room_recommendation", party_size=4), AFTER_GANGNAM_HORROR
    )
    after = remember(AFTER_GANGNAM_HORROR, reading, ["d", "e"])
    assert after.recommended == ["d", "e"] and after.entities.party_size == 4
    assert remember(after, reading, []).recommended == ["d", "e"]  # nothing found: the last list stays
    chat = read_in_context("고마워", understood("general_chat"), after)
    assert remember(after, chat, []) == after


def test_a_fact_question_about_one_theme_of_the_last_list_is_an_inquiry_about_it():
    second = read_in_context("두 번째 거 가격은 얼마야?", understood("general_chat"), AFTER_GANGNAM_HORROR)
    assert (second.intent, second.referred) == ("room_inquiry", "b")
    last = read_in_context("마지막 테마는 몇 명까지 돼?", understood("room_inquiry"), AFTER_GANGNAM_HORROR)
    assert (last.intent, last.referred) == ("room_inquiry", "c")
    assert read_in_context("1번 어디야", understood("general_chat"), AFTER_GANGNAM_HORROR).referred == "a"
    # Out of range, a number that is not a place in the list, or no question: not a reference.
    assert (
        read_in_context("다섯 번째 거 가격은?", understood("general_chat"), AFTER_GANGNAM_HORROR).referred
        is None
    )
    assert (
        read_in_context("21번 버스 타면 돼?", understood("general_chat"), AFTER_GANGNAM_HORROR).referred
        is None
    )
    assert (
        read_in_context("두 번째 거 좋다", understood("general_chat"), AFTER_GANGNAM_HORROR).referred is None
    )
    # "그거" is one theme only when the list had one; a named theme wins over any reference.
    one = AFTER_GANGNAM_HORROR.model_copy(update={"recommended": ["b"]})
    assert read_in_context("그거 가격 얼마야?", understood("general_chat"), one).referred == "b"
    assert (
        read_in_context("그거 가격 얼마야?", understood("general_chat"), AFTER_GANGNAM_HORROR).referred
        is None
    )
    named = read_in_context(
        "첫 번째 말고 월야애담 가격은?", understood("room_inquiry", theme="월야애담"), one
    )
    assert named.referred is None and named.entities.theme == "월야애담"
