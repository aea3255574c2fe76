"""The LLM analyzer: a LangChain chat model fills the same schema through structured output.

Its answer is normalized onto the catalog (canonical areas and genres, known theme and cafe names).
Any failure (an error, a timeout, an answer that does not validate) falls back to the offline
analyzer, and the result says so in `fallback_reason`. LangChain is imported only here, lazily.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from octag.catalog import vocab
from octag.nlu.entities import find_region
from octag.nlu.offline import OfflineAnalyzer
from octag.nlu.schema import Entities, Intent, Understanding
from octag.nlu.utterance import Utterance

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

logger = logging.getLogger(__name__)

# Threads a timed-out model call keeps until it returns; the caller has moved on by then.
_calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="octag-nlu-llm")

SYSTEM_PROMPT = f"""You read messages sent to a Korean escape-room (방탈출) chatbot and classify them.
intent:
- room_recommendation: asks for themes or cafes to play (by area, genre, party, difficulty, or "like X").
- room_inquiry: asks about one named theme or cafe (price, duration, players, location, difficulty).
- document_qa: a factual or encyclopedic question, or about policies, refunds, cancellations, rules.
- general_chat: greetings, thanks, small talk, questions about the assistant.
Entities (null or [] when not said):
- region: one of {", ".join(a for a in vocab.AREAS if a != vocab.OTHER_AREA)} (map landmarks and
  stations, e.g. 혜화역 → 대학로, 홍대입구 → 홍대), else a Seoul 구 such as 마포구.
- genres: from {", ".join(vocab.GENRES)} (무서운/귀신 → 공포, 웃긴 → 코미디, 데이트 → 로맨스, 감성);
  leave out genres the user refuses ("공포 말고").
- party_size: players including the user (둘이서 → 2, 커플 → 2, 친구 3명이랑 → 4, 단체 → 6).
- difficulty: easy (쉬운, 초보, 입문), normal (보통), hard (어려운, 고난도).
- theme, cafe: the name as the user wrote it."""


class Reading(BaseModel):
    """The intent and entities of one chatbot message."""

    intent: Intent
    confidence: float = Field(0.8, ge=0.0, le=1.0, description="How sure the classification is")
    region: str | None = None
    genres: list[str] = Field(default_factory=list)
    party_size: int | None = Field(None, ge=1, le=30)
    difficulty: vocab.DifficultyLabel | None = None
    theme: str | None = None
    cafe: str | None = None


class LlmAnalyzer:
    """Structured output of `chat_model`, with the offline analyzer as the fallback."""

    def __init__(self, chat_model: BaseChatModel, fallback: OfflineAnalyzer, timeout: float = 10.0) -> None:
        self.fallback = fallback
        self.timeout = timeout
        self._structured: Runnable[Any, Any] | None
        try:
            self._structured = chat_model.with_structured_output(Reading)
        except NotImplementedError:  # a model without tool calling: the offline analyzer reads for it
            self._structured = None

    def analyze(self, message: str) -> Understanding:
        if self._structured is None:
            reason = "the chat model has no structured output"
            return self.fallback.analyze(message).model_copy(update={"fallback_reason": reason})
        try:
            call = _calls.submit(self._structured.invoke, [("system", SYSTEM_PROMPT), ("human", message)])
            reading = call.result(timeout=self.timeout)
            if not isinstance(reading, Reading):
                reading = Reading.model_validate(reading)
            return self._normalized(reading)
        except FutureTimeout:
            reason = f"the LLM did not answer within {self.timeout:g} s"
        except Exception as exc:  # any provider, parsing or validation error: answer offline instead
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        logger.warning("NLU falls back to the offline analyzer: %s", reason)
        return self.fallback.analyze(message).model_copy(update={"fallback_reason": reason})

    def _normalized(self, reading: Reading) -> Understanding:
        # The model's words go through the offline lexicons: "혜화역" → 대학로, "포레스트" → FOREST (포레스트).
        region = find_region(Utterance.of(reading.region)) if reading.region else None
        genres = [g for g in (vocab.canonical_genre(label) for label in reading.genres) if g is not None]
        quoted = " ".join(f'"{name}"' for name in (reading.theme, reading.cafe) if name)
        named = self.fallback.names.find(Utterance.of(quoted))
        entities = Entities(
            region=region,
            genres=list(dict.fromkeys(genres)),
            party_size=reading.party_size,
            difficulty=reading.difficulty,
            theme=(named.theme or reading.theme) if reading.theme else None,
            cafe=(named.cafe or reading.cafe) if reading.cafe else None,
        )
        return Understanding(
            intent=reading.intent, confidence=reading.confidence, entities=entities, analyzer="llm"
        )
