"""Language understanding: a message's intent and entities (region, genres, party size, difficulty,
theme, cafe), offline by default or with an LLM when a chat model is given.

    analyzer = get_analyzer(names=shared_names(conn))   # offline; get_analyzer(chat_model) for the LLM
    analyzer.analyze("혜화역 근처 무서운 테마 둘이서").entities.region   # '대학로'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from octag.nlu.names import (
    CatalogNames,
    forget_shared_names,
    names_from_catalog,
    names_from_database,
    shared_names,
)
from octag.nlu.offline import OfflineAnalyzer
from octag.nlu.schema import ENTITY_KEYS, INTENTS, Analyzer, Entities, Intent, Understanding

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from psycopg import Connection

__all__ = [
    "ENTITY_KEYS",
    "INTENTS",
    "Analyzer",
    "CatalogNames",
    "Entities",
    "Intent",
    "OfflineAnalyzer",
    "Understanding",
    "configured_analyzer",
    "forget_shared_names",
    "get_analyzer",
    "names_from_catalog",
    "names_from_database",
    "shared_names",
]


def get_analyzer(chat_model: BaseChatModel | None = None, *, names: CatalogNames | None = None) -> Analyzer:
    """The LLM analyzer over `chat_model` (falling back offline), or the offline analyzer without one.

    Without `names` no theme or cafe is recognized.
    """
    offline = OfflineAnalyzer(names)
    if chat_model is None:
        return offline
    from octag.config import get_settings
    from octag.nlu.llm import LlmAnalyzer

    return LlmAnalyzer(chat_model, offline, timeout=get_settings().nlu_llm_timeout)


def configured_analyzer(conn: Connection[Any]) -> Analyzer:
    """The analyzer of the configured LLM provider (offline by default) over the catalog's names."""
    from octag.llm import chat_model

    return get_analyzer(chat_model(), names=shared_names(conn))
