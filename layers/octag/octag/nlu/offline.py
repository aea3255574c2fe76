"""The default analyzer: kiwi, the catalog's names and vocabulary, and rules. Deterministic, no network."""

from __future__ import annotations

from octag.nlu.entities import find_difficulty, find_genres, find_party_size, find_region
from octag.nlu.intents import classify
from octag.nlu.names import CatalogNames
from octag.nlu.schema import Entities, Understanding
from octag.nlu.utterance import Utterance


class OfflineAnalyzer:
    """Reads intent and entities with rules; theme and cafe names come from `names` (none if empty)."""

    def __init__(self, names: CatalogNames | None = None) -> None:
        self.names = names if names is not None else CatalogNames.empty()

    def analyze(self, message: str) -> Understanding:
        utterance = Utterance.of(message)
        named = self.names.find(utterance)  # first: its spans are not read as regions or genres
        entities = Entities(
            region=find_region(utterance, named.cafe),
            genres=find_genres(utterance),
            party_size=find_party_size(utterance),
            difficulty=find_difficulty(utterance),
            theme=named.theme,
            cafe=named.cafe,
        )
        intent, confidence = classify(utterance, entities)
        return Understanding(intent=intent, confidence=confidence, entities=entities, analyzer="offline")
