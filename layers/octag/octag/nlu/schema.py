"""What an analyzer reads in a message: its intent and the entities a search or an answer needs."""

from __future__ import annotations

from typing import Literal, Protocol, get_args

from pydantic import BaseModel, Field

from octag.catalog.vocab import DifficultyLabel

Intent = Literal["room_recommendation", "room_inquiry", "general_chat", "document_qa"]
INTENTS: tuple[Intent, ...] = get_args(Intent)
ENTITY_KEYS = ("region", "genres", "party_size", "difficulty", "theme", "cafe")


class Entities(BaseModel):
    """The `entities` of `octag chat --json`; every value uses the catalog's canonical names."""

    region: str | None = Field(
        None, description="A canonical area of the catalog (e.g. 대학로), or a Seoul 구 (e.g. 마포구)"
    )
    genres: list[str] = Field(default_factory=list, description="Canonical genres, in order of mention")
    party_size: int | None = Field(None, ge=1, le=30, description="Number of players, the user included")
    difficulty: DifficultyLabel | None = None
    theme: str | None = Field(None, description="A theme's catalog name")
    cafe: str | None = Field(None, description="A cafe's catalog name (without its branch)")


class Understanding(BaseModel):
    """The analysis of one message."""

    intent: Intent
    confidence: float = Field(ge=0.0, le=1.0)
    entities: Entities = Field(default_factory=Entities)
    analyzer: Literal["offline", "llm"] = "offline"
    fallback_reason: str | None = Field(
        None, description="Why the LLM analyzer's answer was replaced by the offline analyzer's"
    )


class Analyzer(Protocol):
    def analyze(self, message: str) -> Understanding: ...
