"""What a chat turn takes and gives: the shapes of `POST /api/chat`, the WebSocket `done` frame and
`octag chat --json`."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from octag.llm.prices import TokenUsage
from octag.nlu.schema import Entities, Intent

MAX_MESSAGE_CHARS = 2000
Feedback = Literal["liked", "booked", "disliked"]


class TurnRequest(BaseModel):
    """One user message, in a new session or continuing `session_id` (`sessionId` over WebSocket)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    session_id: UUID | None = Field(None, alias="sessionId")


class Recommendation(BaseModel):
    """A recommended theme: the catalog's fields and why it fits the request."""

    theme_key: str
    theme: str
    cafe: str
    branch: str | None = None
    area: str
    genres: list[str] = Field(default_factory=list)
    min_players: int | None = None
    max_players: int | None = None
    difficulty: str | None = None
    price_per_person: int | None = None
    duration_minutes: int | None = None
    address: str | None = None
    booking_url: str | None = None
    why: list[str] = Field(default_factory=list)


class Source(BaseModel):
    """A retrieved passage an answer is grounded on."""

    collection: str
    id: str
    chunk_id: int
    title: str | None = None
    text: str
    score: float


class Timings(BaseModel):
    """Server-side milliseconds of each stage of the turn."""

    nlu: float = 0.0
    retrieval: float = 0.0
    answer: float = 0.0
    persistence: float = 0.0
    events: float = 0.0


class TurnResult(BaseModel):
    """The answer to one message, as persisted and as every surface returns it."""

    session_id: UUID
    message_id: int
    message: str
    intent: Intent
    entities: Entities
    answer: str
    recommendations: list[Recommendation] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    usage: TokenUsage = Field(default_factory=TokenUsage)
    latency_ms: float = 0.0
    timings: Timings = Field(default_factory=Timings)
    relaxed: list[str] = Field(default_factory=list, description="Constraints dropped to find enough themes")
    fallback_reason: str | None = Field(None, description="Why the configured LLM did not answer")


class FeedbackRequest(BaseModel):
    """A client's verdict on a recommendation (`POST /api/chat/feedback`, WebSocket `feedback`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    session_id: UUID = Field(alias="sessionId")
    message_id: int = Field(alias="messageId", ge=1)
    theme_key: str = Field(alias="themeKey", min_length=1, max_length=200)
    feedback: Feedback


class SessionSummary(BaseModel):
    id: UUID
    title: str
    created_at: str
    updated_at: str
    message_count: int


class StoredMessage(BaseModel):
    id: int
    role: Literal["user", "assistant"]
    text: str
    intent: str | None = None
    entities: dict[str, Any] | None = None
    recommendations: list[dict[str, Any]] = Field(default_factory=list)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, Any] | None = None
    latency_ms: float | None = None
    timings: dict[str, float] | None = None
    relaxed: list[str] = Field(default_factory=list)
    fallback_reason: str | None = None
    created_at: str
