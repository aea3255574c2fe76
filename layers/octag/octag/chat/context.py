"""What a session remembers between turns, and how a follow-up message is read against it.

"강남에서 공포 테마 추천해줘" then "4명이면?" asks for 강남 horror themes for four: a recommendation
follow-up keeps the earlier constraints and overrides those it names. "그 중에 제일 쉬운 거" works on
the last list instead of searching again, and "두 번째 거 가격은?" (or "그거 어디야?" after a list of
one) asks about one theme of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from octag.nlu.schema import Entities, Intent, Understanding

Order = Literal["easiest", "hardest", "cheapest", "priciest", "shortest", "longest"]

_LAST_LIST = re.compile(
    r"그\s*중|이\s*중|저\s*중|거기\s*서|방금|위에|그\s*테마들|그것들|그\s*목록|추천한\s*것"
)
_SUPERLATIVE = re.compile(r"제일|가장|젤|최고로|제일로")
_ORDERS: tuple[tuple[re.Pattern[str], Order], ...] = (
    (re.compile(r"쉬운|쉽|초보|입문"), "easiest"),
    (re.compile(r"어려운|어렵|고난도|난이도\s*높"), "hardest"),
    (re.compile(r"싼|싸|저렴|가성비"), "cheapest"),
    (re.compile(r"비싼|비싸"), "priciest"),
    (re.compile(r"짧은|짧"), "shortest"),
    (re.compile(r"긴\s*거|긴\s*테마|오래|길게"), "longest"),
)
_FOLLOW_UP_KEYS = ("region", "genres", "party_size", "difficulty")
# One theme of the last list, by its place in it.
_ORDINALS = (
    (re.compile(r"첫\s*번\s*째|첫\s*째|첫\s*번|(?<!\d)1\s*번|(?<!\d)1\s*위"), 0),
    (re.compile(r"두\s*번\s*째|둘\s*째|(?<!\d)2\s*번|(?<!\d)2\s*위"), 1),
    (re.compile(r"세\s*번\s*째|셋\s*째|(?<!\d)3\s*번|(?<!\d)3\s*위"), 2),
    (re.compile(r"네\s*번\s*째|넷\s*째|(?<!\d)4\s*번|(?<!\d)4\s*위"), 3),
    (re.compile(r"다섯\s*번\s*째|(?<!\d)5\s*번|(?<!\d)5\s*위"), 4),
    (re.compile(r"마지막"), -1),
)
_THAT_ONE = re.compile(r"그\s*거|그것|거기(?!\s*서)|그\s*곳|그\s*테마(?!\s*들)")  # the only one listed
# What a question about one theme asks (the offline answer says exactly these facts).
ASKED_FACTS = (
    (re.compile(r"가격|얼마|비용|요금"), "price"),
    (re.compile(r"몇\s*명|인원|명\s*까지|몇\s*인"), "players"),
    (re.compile(r"시간|몇\s*분|플레이\s*타임"), "duration"),
    (re.compile(r"어디|위치|주소|가는\s*길"), "address"),
    (re.compile(r"난이도|어려|쉬"), "difficulty"),
)


class SessionContext(BaseModel):
    """Stored with the session (`chat_sessions.context`)."""

    intent: Intent | None = None
    entities: Entities = Field(default_factory=Entities)
    recommended: list[str] = Field(default_factory=list, description="Theme keys of the last list, in order")


@dataclass(frozen=True)
class Reading:
    """The message read in its session: what to retrieve and how."""

    intent: Intent
    entities: Entities
    within_last: bool  # pick from the last recommendation list instead of searching
    order: Order | None  # "제일 쉬운 거": the list sorted, the first one wanted
    referred: str | None = None  # room_inquiry about this theme (key) of the last list


def read_in_context(message: str, understanding: Understanding, context: SessionContext) -> Reading:
    said = understanding.entities
    referred = _referred(message, context.recommended) if said.theme is None and said.cafe is None else None
    if referred is not None and (
        understanding.intent == "room_inquiry" or any(p.search(message) for p, _ in ASKED_FACTS)
    ):
        return Reading("room_inquiry", said, within_last=False, order=None, referred=referred)
    within_last = bool(context.recommended) and bool(_LAST_LIST.search(message))
    order = _order(message) if within_last or _SUPERLATIVE.search(message) else None
    continues = context.intent == "room_recommendation" and (
        within_last
        or (
            understanding.intent in ("room_recommendation", "general_chat")
            and (order is not None or any(getattr(said, key) not in (None, []) for key in _FOLLOW_UP_KEYS))
            and said.theme is None
        )
    )
    if not continues:
        return Reading(understanding.intent, said, within_last=False, order=order)
    merged = context.entities.model_copy(
        update={key: getattr(said, key) for key in _FOLLOW_UP_KEYS if getattr(said, key) not in (None, [])}
    )
    if order in ("easiest", "hardest") and said.difficulty is not None:
        merged = merged.model_copy(update={"difficulty": None})  # "제일 쉬운" ranks; it does not filter
    return Reading("room_recommendation", merged, within_last=within_last, order=order)


def remember(context: SessionContext, reading: Reading, recommended: list[str]) -> SessionContext:
    """The context after a turn: recommendation constraints accumulate; a new list replaces the last."""
    if reading.intent != "room_recommendation":
        return context
    return SessionContext(
        intent="room_recommendation",
        entities=reading.entities.model_copy(update={"theme": None, "cafe": None}),
        recommended=recommended or context.recommended,
    )


def _referred(message: str, listed: list[str]) -> str | None:
    """The theme of the last list the message points at: by its place, or "그거" when it had one."""
    for pattern, index in _ORDINALS:
        if pattern.search(message) and -len(listed) <= index < len(listed):
            return listed[index]
    return listed[0] if len(listed) == 1 and _THAT_ONE.search(message) else None


def _order(message: str) -> Order | None:
    for pattern, order in _ORDERS:
        if pattern.search(message):
            return order
    return None
