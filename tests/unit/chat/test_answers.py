"""The offline composer states only what the records say; prices make costs."""

from __future__ import annotations

import re

from octag.chat.answers import compose, pieces
from octag.chat.context import Reading
from octag.chat.retrieval import Records
from octag.chat.schema import Recommendation, Source
from octag.llm.prices import cost_usd
from octag.nlu.schema import Entities

THEMES = [
    Recommendation(
        theme_key="t1", theme="월야애담", cafe="키이스케이프", branch="강남점", area="강남", genres=["공포"],
        min_players=2, max_players=4, difficulty="hard", price_per_person=27000, duration_minutes=75,
        address="서울 강남구 테헤란로 1", why=["강남 지역", "공포 장르"],
    ),
    Recommendation(
        theme_key="t2", theme="어둠의 방", cafe="비밀카페", area="강남", genres=["공포", "추리"], min_players=3,
        max_players=6, difficulty="easy",
    ),
]  # fmt: skip


def reading(intent: str, *, within_last: bool = False, order=None, **entities) -> Reading:
    return Reading(intent, Entities(**entities), within_last=within_last, order=order)  # type: ignore[arg-type]


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*", text)}


def test_a_recommendation_lists_each_theme_with_only_its_own_facts():
    answer = compose(
        "강남 공포", reading("room_recommendation", region="강남", genres=["공포"]), Records(THEMES)
    )
    assert "월야애담" in answer and "어둠의 방" in answer and "27,000원" in answer and "75분" in answer
    allowed = {"1", "2", "4", "27000", "75", "3", "6"}  # list numbers, players, price, minutes
    assert numbers(answer) <= allowed
    assert "추천 이유: 강남 지역, 공포 장르" in answer
    assert "어둠의 방" in answer.split("2. ")[1] and "원" not in answer.split("2. ")[1]  # no price invented


def test_relaxed_constraints_are_said_and_nothing_found_is_said_too():
    relaxed = Records(THEMES[:1], relaxed=["difficulty", "party_size"])
    assert "난이도·인원 조건을 완화" in compose("x", reading("room_recommendation"), relaxed)
    assert "찾지 못했어요" in compose("x", reading("room_recommendation"), Records())


def test_the_last_list_ranked_names_the_one_wanted():
    answer = compose("그 중에 제일 쉬운 거", reading("room_recommendation", within_last=True, order="easiest"),
                     Records([THEMES[1]]))  # fmt: skip
    assert answer.startswith("방금 추천한 테마 중 가장 쉬운 테마는 「어둠의 방」")


def test_an_inquiry_answers_what_was_asked_or_says_it_is_unknown():
    asked = compose(
        "월야애담 가격 얼마야?", reading("room_inquiry", theme="월야애담"), Records(facts=THEMES[:1])
    )
    assert "가격은 1인 27,000원이에요." in asked and "서울 강남구 테헤란로 1" in asked
    unknown = compose(
        "어둠의 방 몇 분 걸려?", reading("room_inquiry", theme="어둠의 방"), Records(facts=THEMES[1:])
    )
    assert "등록된 정보가 없어요" in unknown and "분이에요" not in unknown
    missing = compose("없는테마 가격", reading("room_inquiry", theme="없는테마"), Records())
    assert "찾지 못했어요" in missing


def test_a_document_answer_quotes_a_sentence_of_the_best_passage_and_cites_it():
    source = Source(
        collection="handbook", id="refunds", chunk_id=7, title="환불 규정", score=1.0,
        text="예약은 하루 전까지 취소할 수 있습니다. 당일 취소는 환불되지 않습니다. 문의는 전화로 해 주세요.",
    )  # fmt: skip
    answer = compose("당일 취소하면 환불돼?", reading("document_qa"), Records(sources=[source]))
    assert '"당일 취소는 환불되지 않습니다."' in answer and "[1] 환불 규정 (handbook)" in answer
    assert "찾지 못했어요" in compose("무엇이든", reading("document_qa"), Records())


def test_general_chat_greets_thanks_and_steers():
    assert compose("안녕하세요", reading("general_chat"), Records()).startswith("안녕하세요!")
    assert compose("고마워요", reading("general_chat"), Records()).startswith("천만에요")
    assert "추천해 드릴게요" in compose("뭐 할 수 있어?", reading("general_chat"), Records())


def test_pieces_rebuild_the_text():
    text = compose("강남 공포", reading("room_recommendation", region="강남"), Records(THEMES))
    parts = list(pieces(text))
    assert "".join(parts) == text and len(parts) > 5 and max(map(len, parts)) <= 25


def test_cost_comes_from_the_price_table():
    assert cost_usd("gpt-4o-mini", 1_000_000, 1_000_000) == 0.75
    assert cost_usd("anthropic.claude-3-5-haiku-20241022-v1:0", 1000, 100) == 0.0012
    assert cost_usd("some-unknown-model", 1000, 100) == 0.0 and cost_usd(None, 5, 5) == 0.0
