"""One chat turn: understand → retrieve → answer (streamed) → persist → publish events.

Every surface (WebSocket, `POST /api/chat`, `octag chat`) runs this same function, so the same
message gets the same answer everywhere. The turn is persisted even when nobody is listening any more
(a client that disconnects mid-answer loses nothing).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from aws_lambda_powertools import Logger

from octag import db
from octag.chat import answers
from octag.chat.context import read_in_context, remember
from octag.chat.retrieval import retrieve
from octag.chat.schema import FeedbackRequest, Timings, TurnRequest, TurnResult
from octag.chat.sessions import Session, assistant_message_exists, load_session, save_turn
from octag.config import get_settings
from octag.errors import NotFound
from octag.events.publisher import publish
from octag.events.schema import Event
from octag.llm import LlmUnavailable, chat_model, model_id
from octag.nlu import get_analyzer, shared_names

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

logger = Logger(child=True)
_NO_MODEL: Any = object()


def new_session_id() -> UUID:
    return uuid4()


def run_turn(
    user_id: str,
    request: TurnRequest,
    *,
    on_chunk: answers.OnChunk | None = None,
    session_id: UUID | None = None,
    model: BaseChatModel | None = _NO_MODEL,
) -> TurnResult:
    """Answer `request` for `user_id`, streaming the answer's pieces to `on_chunk`.

    `session_id` names the session a new conversation gets (so a caller can announce it first);
    `model` overrides the configured provider (None: offline).
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    provider, fallback_reason = _provider(model)
    with db.connection() as conn:
        if request.session_id is not None:
            session = load_session(conn, user_id, request.session_id)
        else:
            session = Session(session_id or new_session_id(), user_id)
        with _timed(timings, "nlu"):
            analyzer = get_analyzer(provider and provider.model, names=shared_names(conn))
            understanding = analyzer.analyze(request.message)
            reading = read_in_context(request.message, understanding, session.context)
        with _timed(timings, "retrieval"):
            records = retrieve(conn, request.message, reading, session.context.recommended)
    with _timed(timings, "answer"):
        emit = on_chunk or (lambda _: None)
        if provider is None:
            answer = answers.offline_answer(request.message, reading, records, emit)
            answer.fallback_reason = fallback_reason
        else:
            answer = answers.llm_answer(
                provider.model,
                provider.model_id,
                provider.name,
                request.message,
                reading,
                records,
                emit,
                timeout=get_settings().llm_timeout,
            )
    result = TurnResult(
        session_id=session.id,
        message_id=0,
        message=request.message,
        intent=reading.intent,
        entities=reading.entities,
        answer=answer.text,
        recommendations=records.recommendations or records.facts,
        sources=records.sources,
        usage=answer.usage,
        relaxed=records.relaxed,
        fallback_reason=answer.fallback_reason,
    )
    with _timed(timings, "persistence"):
        session.context = remember(session.context, reading, [r.theme_key for r in records.recommendations])
        result.latency_ms = _ms_since(started)
        with db.connection() as conn:
            details = {
                "timings": timings,
                "relaxed": result.relaxed,
                "fallback_reason": result.fallback_reason,
            }
            result.message_id = save_turn(conn, session, result, details)
    with _timed(timings, "events"):
        _publish_turn(user_id, result)
    result.timings = Timings(**timings)
    result.latency_ms = _ms_since(started)
    return result


def record_feedback(user_id: str, feedback: FeedbackRequest) -> UUID:
    """Publish a `recommendation_feedback` event for one of the user's answers; its event id."""
    with db.connection() as conn:
        if not assistant_message_exists(conn, user_id, feedback.session_id, feedback.message_id):
            raise NotFound("No such answer in your chat sessions.", code="message_not_found")
    event = Event(
        event_type="recommendation_feedback",
        user_id=user_id,
        payload=feedback.model_dump(mode="json"),
    )
    publish(event)
    return event.event_id


def report_error(user_id: str | None, where: str, error: BaseException) -> None:
    """An unexpected failure goes to the critical queue (published at once)."""
    publish(
        Event(
            event_type="chat_error",
            user_id=user_id,
            payload={"where": where, "error": type(error).__name__, "message": str(error)[:500]},
        ),
        important=True,
    )


@dataclass(frozen=True)
class _Provider:
    name: str
    model: BaseChatModel
    model_id: str | None


def _provider(model: Any) -> tuple[_Provider | None, str | None]:
    """The chat model that answers (None: the offline composer) and why the configured one cannot."""
    if model is not _NO_MODEL:
        return (None if model is None else _Provider(type(model).__name__, model, None)), None
    try:
        configured = chat_model()
    except LlmUnavailable as exc:
        return None, exc.message
    if configured is None:
        return None, None
    return _Provider(get_settings().llm_provider, configured, model_id()), None


def _publish_turn(user_id: str, result: TurnResult) -> None:
    common = {"session_id": str(result.session_id), "message_id": result.message_id}
    publish(
        Event(
            event_type="chat_message",
            user_id=user_id,
            payload={
                **common,
                "intent": result.intent,
                "entities": result.entities.model_dump(mode="json"),
                "recommendations": len(result.recommendations),
                "sources": len(result.sources),
                "usage": result.usage.model_dump(mode="json"),
                "latency_ms": result.latency_ms,
                "fallback": result.fallback_reason is not None,
            },
        )
    )
    if result.recommendations and result.intent == "room_recommendation":
        publish(
            Event(
                event_type="recommendation_shown",
                user_id=user_id,
                payload={**common, "theme_keys": [r.theme_key for r in result.recommendations]},
            )
        )


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = _ms_since(started)


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
