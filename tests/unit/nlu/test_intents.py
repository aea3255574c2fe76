from __future__ import annotations

import pytest

from octag.nlu import OfflineAnalyzer


@pytest.mark.parametrize(
    "message",
    [
        "강남역 근처 공포 테마 추천해줘",
        "둘이서 갈만한 쉬운 방탈출 있어?",
        "홍대 추리 4인",
        "방탈출 테마 추천해줘",
    ],
)
def test_requests_for_rooms_are_recommendations(analyzer: OfflineAnalyzer, message: str) -> None:
    assert analyzer.analyze(message).intent == "room_recommendation"


@pytest.mark.parametrize(
    "message", ["FOREST 가격 얼마야?", "월야애담 몇 명까지 돼?", "제로월드 강남점 위치 어디야?"]
)
def test_questions_about_one_named_theme_or_cafe_are_inquiries(
    analyzer: OfflineAnalyzer, message: str
) -> None:
    assert analyzer.analyze(message).intent == "room_inquiry"


def test_asking_for_something_like_a_named_theme_is_a_recommendation(analyzer: OfflineAnalyzer) -> None:
    found = analyzer.analyze("포레스트 같은 감성 테마 추천해줘")
    assert (found.intent, found.entities.theme) == ("room_recommendation", "FOREST (포레스트)")


@pytest.mark.parametrize("message", ["안녕하세요~", "고마워 ㅋㅋ", "너는 누구야?", "오늘 나는 좀 우울해"])
def test_small_talk_is_general_chat(analyzer: OfflineAnalyzer, message: str) -> None:
    assert analyzer.analyze(message).intent == "general_chat"


@pytest.mark.parametrize(
    "message",
    ["이순신은 언제 태어났나?", "광합성이란 무엇인가?", "1988년 올림픽이 열린 도시는?", "양자역학이 뭐야?"],
)
def test_encyclopedic_questions_go_to_the_documents(analyzer: OfflineAnalyzer, message: str) -> None:
    assert analyzer.analyze(message).intent == "document_qa"


@pytest.mark.parametrize(
    "message", ["환불 규정 알려줘", "노쇼하면 위약금 있어요?", "제로월드 환불 규정이 어떻게 돼?"]
)
def test_policy_questions_go_to_the_documents_even_about_a_cafe(
    analyzer: OfflineAnalyzer, message: str
) -> None:
    assert analyzer.analyze(message).intent == "document_qa"


def test_understanding_reports_the_offline_analyzer_and_a_confidence(analyzer: OfflineAnalyzer) -> None:
    found = analyzer.analyze("강남 공포 테마 추천")
    assert found.analyzer == "offline" and found.fallback_reason is None
    assert 0.5 < found.confidence <= 1.0
    assert analyzer.analyze("음").confidence < found.confidence
