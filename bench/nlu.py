"""Offline NLU on the labelled set: intent accuracy, confusions and per-entity precision/recall,
beside a peer in the same run (the most frequent intent, and entities looked up word by word in the
catalog vocabulary, as a plain keyword matcher would).

Usage: .venv/bin/python bench/nlu.py [--set FILE.jsonl ...] [--errors]

Two sets: `utterances.jsonl` (the labelled set the rules were developed against) and `heldout.jsonl`
(labelled before the analyzer ever saw it, and not tuned on since). Each line is
`{"text", "intent", "entities"}`; an
entity left out is expected absent. Scores count, per entity, a predicted value equal to the
expected one as a true positive, any other predicted value as a false positive, and an expected
value not predicted as a false negative; genres count one per genre.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "octag"))

from octag.catalog import vocab  # noqa: E402
from octag.catalog.cleaning import clean_catalog  # noqa: E402
from octag.nlu import ENTITY_KEYS, Entities, OfflineAnalyzer, Understanding, names_from_catalog  # noqa: E402

LABELLED_SET = ROOT / "bench" / "fixtures" / "nlu" / "utterances.jsonl"
HELDOUT_SET = ROOT / "bench" / "fixtures" / "nlu" / "heldout.jsonl"
CATALOG = ROOT / "local" / "seed" / "seoul-themes.seed.json"


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    total: int = 0
    intents_right: int = 0
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, predicted)
    entities: dict[str, Score] = field(default_factory=lambda: {key: Score() for key in ENTITY_KEYS})
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.total if self.total else 0.0


def load_labelled_set(path: Path = LABELLED_SET) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def default_analyzer() -> OfflineAnalyzer:
    """The offline analyzer with the names of the shipped seed catalog."""
    return OfflineAnalyzer(names_from_catalog(clean_catalog(json.loads(CATALOG.read_text()))))


def evaluate(analyze: Callable[[str], Understanding], rows: Iterable[dict[str, Any]]) -> Report:
    report = Report()
    started = time.perf_counter()
    for row in rows:
        got = analyze(row["text"])
        expected = Entities(**row["entities"])
        report.total += 1
        report.intents_right += got.intent == row["intent"]
        if got.intent != row["intent"]:
            report.confusions[(row["intent"], got.intent)] += 1
        wrong = []
        for key in ENTITY_KEYS:
            want, have = getattr(expected, key), getattr(got.entities, key)
            _count(report.entities[key], want, have)
            if (set(want) if key == "genres" else want) != (set(have) if key == "genres" else have):
                wrong.append(f"{key}={have!r} (want {want!r})")
        if got.intent != row["intent"] or wrong:
            intent = "" if got.intent == row["intent"] else f"intent={got.intent} (want {row['intent']}) "
            report.errors.append(f"{row['text']!r}: {intent}{' '.join(wrong)}")
    report.seconds = time.perf_counter() - started
    return report


def _count(score: Score, want: Any, have: Any) -> None:
    if isinstance(want, list):
        score.tp += len(set(want) & set(have))
        score.fp += len(set(have) - set(want))
        score.fn += len(set(want) - set(have))
    elif have is not None and have == want:
        score.tp += 1
    else:
        score.fp += have is not None
        score.fn += want is not None


def keyword_peer(rows: list[dict[str, Any]]) -> Callable[[str], Understanding]:
    """The peer: the most frequent intent, and vocabulary words found among whitespace-split words."""
    intent = Counter(row["intent"] for row in rows).most_common(1)[0][0]

    def analyze(text: str) -> Understanding:
        words = text.split()
        areas = [a for a in map(vocab.canonical_area, words) if a]
        genres = [g for g in map(vocab.canonical_genre, words) if g]
        return Understanding(
            intent=intent,
            confidence=0.5,
            entities=Entities(region=areas[0] if areas else None, genres=list(dict.fromkeys(genres))),
        )

    return analyze


def print_report(name: str, rows: list[dict[str, Any]], ours: Report, peer: Report, errors: bool) -> None:
    print(f"\n== {name}: {len(rows)} utterances, {Counter(r['intent'] for r in rows).most_common()}")
    print(f"intent accuracy: offline {ours.intent_accuracy:.3f}   peer (majority) {peer.intent_accuracy:.3f}")
    print("confusions (expected -> predicted):")
    for (want, got), n in ours.confusions.most_common():
        print(f"  {want:<20} -> {got:<20} {n}")
    print(f"{'entity':<11} {'P':>6} {'R':>6} {'F1':>6} {'tp/fp/fn':>10}   peer F1   ratio")
    for key in ENTITY_KEYS:
        s, p = ours.entities[key], peer.entities[key]
        ratio = f"{s.f1 / p.f1:5.1f}x" if p.f1 else "    -"
        print(
            f"{key:<11} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {s.tp:>3}/{s.fp}/{s.fn:<3}    {p.f1:6.3f}  {ratio}"
        )
    if errors:
        print("wrong analyses:")
        for line in ours.errors:
            print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, nargs="+", default=[LABELLED_SET, HELDOUT_SET])
    parser.add_argument("--errors", action="store_true", help="List every wrong analysis.")
    args = parser.parse_args()
    started = time.perf_counter()
    analyzer = default_analyzer()
    analyzer.analyze("준비")  # kiwi loads on first use
    setup = time.perf_counter() - started
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"setup (kiwi + catalog names): {setup:.2f} s")
    for path in args.set:
        rows = load_labelled_set(path)
        ours, peer = evaluate(analyzer.analyze, rows), evaluate(keyword_peer(rows), rows)
        print_report(path.name, rows, ours, peer, args.errors)
        print(f"analysis: {1000 * ours.seconds / len(rows):.2f} ms/utterance")


if __name__ == "__main__":
    main()
