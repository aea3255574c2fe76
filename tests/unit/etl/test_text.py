"""Text cleanup and structure-aware chunking (octag.etl.text)."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

import pytest

from octag.etl.text import chunk_text, clean_text

KOREAN_PARAGRAPH = (
    "경복궁은 조선 왕조의 법궁이다. 1395년에 처음 지어졌고 임진왜란 때 불탔다. "
    "고종 때 흥선대원군이 다시 지었다. 지금은 많은 사람이 찾는 관광지가 되었다. "
) * 12


def test_clean_text_composes_hangul_and_drops_invisible_debris():
    decomposed = unicodedata.normalize("NFD", "한글")
    text = f"  {decomposed}\u200b 이\u00a0\u00a0있다\r\n\r\n\r\n\r\n둘째\x00 줄\t \n"
    assert clean_text(text) == "한글 이 있다\n\n둘째 줄"
    assert clean_text("ㅋㅋㅋ ① ＡＢ") == "ㅋㅋㅋ ① ＡＢ"  # NFC, not NFKC: compatibility forms stay
    assert clean_text(" \n\t\u200b ") == ""


def test_empty_text_has_no_chunks():
    assert chunk_text("") == [] and chunk_text(clean_text("  \n\n ")) == []


@pytest.mark.parametrize(
    "text",
    [KOREAN_PARAGRAPH, "가" * 5000, ("단어 " * 3000).strip(), "# 제목\n\n" + KOREAN_PARAGRAPH * 2],
    ids=["korean-sentences", "no-spaces", "no-sentence-ends", "markdown"],
)
def test_chunks_never_exceed_the_bound_are_verbatim_slices_and_numbered_in_order(text):
    chunks = chunk_text(text, max_chars=300, overlap_chars=50, markdown=True)
    assert chunks and [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(0 < len(c.text) <= 300 and c.text in text for c in chunks)
    covered = "".join(c.text for c in chunks)
    assert all(word in covered for word in text.split()[:50])


def test_korean_sentences_are_not_cut_mid_sentence():
    chunks = chunk_text(KOREAN_PARAGRAPH, max_chars=200, overlap_chars=0)
    assert len(chunks) > 1
    assert all(c.text.rstrip().endswith(".") for c in chunks)


def test_overlap_repeats_the_tail_of_the_previous_chunk():
    chunks = chunk_text(KOREAN_PARAGRAPH, max_chars=200, overlap_chars=60)
    for before, after in pairwise(chunks):
        head = after.text[:20]
        assert head in before.text, (before.text, after.text)


def test_headings_start_sections_and_are_kept_as_metadata():
    text = "# 궁궐\n\n경복궁 이야기.\n\n## 역사\n\n1395년에 지었다.\n\n```\n# 코드 안의 샵은 제목이 아니다\n```\n\n# 음식\n\n김치 이야기."
    chunks = chunk_text(text, max_chars=800, markdown=True)
    by_text = {c.text.split("\n")[-1]: c.metadata.get("headings") for c in chunks}
    assert [c.metadata.get("headings") for c in chunks] == [["궁궐"], ["궁궐", "역사"], ["음식"]]
    assert "# 코드 안의 샵은 제목이 아니다" in chunks[1].text and by_text["김치 이야기."] == ["음식"]


def test_a_10_mb_line_without_spaces_is_cut_to_the_bound():
    chunks = chunk_text("가" * 10_000_000, max_chars=800, overlap_chars=120)
    assert len(chunks) >= 10_000_000 // 800 and max(len(c.text) for c in chunks) <= 800


def test_chunking_is_deterministic():
    text = "# 제목\n\n" + KOREAN_PARAGRAPH
    assert chunk_text(text, markdown=True) == chunk_text(text, markdown=True)
