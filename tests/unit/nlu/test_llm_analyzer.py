"""The LLM analyzer with LangChain's fake chat model answering through a real tool call, so
`with_structured_output` binds the schema and parses the call as it does with a provider."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult

from octag.nlu import OfflineAnalyzer, get_analyzer
from octag.nlu.llm import LlmAnalyzer, Reading


class ToolCallingFakeModel(GenericFakeChatModel):
    """Answers each call with the next message; binding tools is accepted as providers do."""

    seen_tools: ClassVar[list[Any]] = []

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Any:
        self.seen_tools.extend(tools)
        return self


class SlowModel(ToolCallingFakeModel):
    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        time.sleep(1.0)
        return super()._generate(messages, *args, **kwargs)


def _tool_call(**args: Any) -> Iterator[AIMessage]:
    return iter([AIMessage(content="", tool_calls=[{"name": "Reading", "args": args, "id": "call-1"}])])


def test_llm_reading_is_normalized_onto_the_catalog(analyzer: OfflineAnalyzer) -> None:
    model = ToolCallingFakeModel(
        messages=_tool_call(
            intent="room_inquiry", confidence=0.9, region="혜화역", genres=["호러", "unknown"],
            party_size=2, difficulty="easy", theme="포레스트",
        )
    )  # fmt: skip
    found = LlmAnalyzer(model, analyzer).analyze("혜화역 포레스트 둘이서 할만해?")
    assert model.seen_tools == [Reading]
    assert (found.analyzer, found.intent, found.fallback_reason) == ("llm", "room_inquiry", None)
    assert found.entities.model_dump() == {
        "region": "대학로", "genres": ["공포"], "party_size": 2, "difficulty": "easy",
        "theme": "FOREST (포레스트)", "cafe": None,
    }  # fmt: skip


def test_an_answer_that_does_not_fit_the_schema_falls_back_offline(analyzer: OfflineAnalyzer) -> None:
    model = ToolCallingFakeModel(messages=_tool_call(intent="weather_report"))
    found = LlmAnalyzer(model, analyzer).analyze("강남역 공포 테마 추천")
    assert (found.analyzer, found.intent, found.entities.region) == ("offline", "room_recommendation", "강남")
    assert found.fallback_reason is not None and "ValidationError" in found.fallback_reason


def test_a_plain_text_answer_falls_back_offline(analyzer: OfflineAnalyzer) -> None:
    model = ToolCallingFakeModel(messages=iter([AIMessage(content="추천 테마는 포레스트입니다")]))
    found = LlmAnalyzer(model, analyzer).analyze("안녕")
    assert (found.analyzer, found.intent) == ("offline", "general_chat")
    assert found.fallback_reason


def test_a_model_slower_than_the_timeout_falls_back_offline(analyzer: OfflineAnalyzer) -> None:
    model = SlowModel(messages=_tool_call(intent="general_chat"))
    started = time.perf_counter()
    found = LlmAnalyzer(model, analyzer, timeout=0.1).analyze("홍대 추리 4인")
    assert time.perf_counter() - started < 0.9
    assert (found.analyzer, found.entities.party_size) == ("offline", 4)
    assert found.fallback_reason == "the LLM did not answer within 0.1 s"


def test_get_analyzer_is_offline_without_a_chat_model_and_llm_with_one() -> None:
    assert isinstance(get_analyzer(), OfflineAnalyzer)
    model = ToolCallingFakeModel(messages=_tool_call(intent="general_chat"))
    assert isinstance(get_analyzer(model), LlmAnalyzer)


@pytest.mark.parametrize("model_without_tools", [GenericFakeChatModel(messages=iter([]))])
def test_a_model_without_structured_output_leaves_the_reading_to_the_offline_analyzer(
    analyzer: OfflineAnalyzer, model_without_tools: GenericFakeChatModel
) -> None:
    understanding = LlmAnalyzer(model_without_tools, analyzer).analyze("홍대 코미디 테마 추천")
    assert understanding.analyzer == "offline" and understanding.fallback_reason
    assert understanding.entities == analyzer.analyze("홍대 코미디 테마 추천").entities
