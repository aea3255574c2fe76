"""Event envelope shared by publishers and consumers. `event_id` makes every consumer idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    event_type: str = Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(1, ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    user_id: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
