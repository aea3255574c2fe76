from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from octag.search import tokenizer
from octag.search.tokenizer import lexeme_text, lexeme_texts, lexemes, sentence_spans, split_sentences


def test_lexemes_strip_particles_and_endings_from_korean_nouns() -> None:
    found = lexemes("강남에서 공포 테마 추천해줘")
    assert {"강남", "공포", "테마", "추천"} <= set(found)
    assert "강남에서" not in found
    assert not {"에서", "해줘", "줘"} & set(found)


def test_lexemes_keep_order_lower_case_english_and_keep_numbers() -> None:
    assert lexemes("iPhone 15 Pro를 2024년에 3.5배 싸게 샀다") == [
        "iphone", "15", "pro", "2024", "3.5", "배", "싸", "사"
    ]  # fmt: skip


def test_verb_and_adjective_stems_include_irregular_ones() -> None:
    assert lexemes("어제는 추웠고 방은 예뻤다") == ["어제", "춥", "방", "예쁘"]


def test_lexeme_text_is_what_to_tsvector_is_fed() -> None:
    assert lexeme_text("홍대 방탈출 카페에서 놀았다") == "홍대 방 탈출 카페 놀"  # a query says the same


def test_batch_lexemes_match_one_by_one_including_empty_text() -> None:
    texts = ["강남에서 공포 테마 추천해줘", "", "Escape rooms in Seoul", "3명이서 갈 만한 곳"]
    assert lexeme_texts(texts) == [lexeme_text(text) for text in texts]
    assert lexeme_texts(texts)[1] == ""
    assert lexeme_texts([]) == []


def test_split_sentences_handles_korean_without_punctuation_and_mixed_text() -> None:
    text = "안녕하세요. 반갑습니다 저는 김철수예요\nWe met at 강남역. 그는 3.5% 성장했다고 말했다! Then we went home."
    assert split_sentences(text) == [
        "안녕하세요.",
        "반갑습니다",
        "저는 김철수예요",
        "We met at 강남역.",
        "그는 3.5% 성장했다고 말했다!",
        "Then we went home.",
    ]


def test_sentence_spans_are_offsets_into_each_text() -> None:
    texts = ["첫 문장입니다. 😀 둘째 문장입니다.", "", "하나뿐"]
    spans = sentence_spans(texts)
    assert [[text[a:b] for a, b in found] for text, found in zip(texts, spans, strict=True)] == [
        ["첫 문장입니다.", "😀 둘째 문장입니다."],
        [],
        ["하나뿐"],
    ]


def test_kiwi_is_loaded_once_when_threads_race_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[object] = []

    def slow_load() -> Any:
        time.sleep(0.05)  # wide enough for every thread to arrive while the first one loads
        loads.append(object())
        return loads[-1]

    monkeypatch.setattr(tokenizer, "_kiwi", None)
    monkeypatch.setattr(tokenizer, "_load_kiwi", slow_load)
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(tokenizer.kiwi())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loads) == 1
    assert seen == loads * 8
