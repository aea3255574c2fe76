"""The offline analyzer on the labelled sets of `bench/nlu.py`, with floors below today's scores
(development set: intent 0.99, entity F1 ≥ 0.97; held-out set: intent 0.98, entity F1 ≥ 0.93)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from octag.nlu import ENTITY_KEYS, OfflineAnalyzer

BENCH = Path(__file__).resolve().parents[3] / "bench" / "nlu.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_nlu", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _bench()


@pytest.mark.parametrize(
    ("path", "intent_floor", "entity_floor"),
    [(bench.LABELLED_SET, 0.93, 0.9), (bench.HELDOUT_SET, 0.88, 0.85)],
    ids=["development", "held-out"],
)
def test_offline_analyzer_meets_its_floors(
    analyzer: OfflineAnalyzer, path: Path, intent_floor: float, entity_floor: float
) -> None:
    rows = bench.load_labelled_set(path)
    report = bench.evaluate(analyzer.analyze, rows)
    assert report.intent_accuracy >= intent_floor, report.errors
    for key in ENTITY_KEYS:
        assert report.entities[key].f1 >= entity_floor, (key, report.errors)
    peer = bench.evaluate(bench.keyword_peer(rows), rows)
    assert report.intent_accuracy > peer.intent_accuracy


def test_labelled_set_covers_every_intent_and_entity() -> None:
    rows = bench.load_labelled_set(bench.LABELLED_SET)
    assert len(rows) >= 150
    assert {row["intent"] for row in rows} == {
        "room_recommendation", "room_inquiry", "general_chat", "document_qa"
    }  # fmt: skip
    assert {key for row in rows for key in row["entities"]} == set(ENTITY_KEYS)
