"""Entities read from a message without a model: region, genres, party size and difficulty.

Every value is the catalog's own (`octag.catalog.vocab`): canonical areas and genres, the
easy/normal/hard labels. The catalog's synonyms are read as written; the words here are how people
ask (`무서운` → 공포, `초보` → easy, `둘이서` → 2), matched on kiwi stems where they conjugate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from octag.catalog import vocab
from octag.catalog.vocab import DifficultyLabel
from octag.nlu.utterance import Morpheme, Utterance, compact

# `단체` (a group) with no count: the smallest party most group-sized themes take. Of the 642 themes
# with a known maximum, 224 take up to 6 and only 18 more than 6, so 6 keeps a group's choice open.
GROUP_PARTY_SIZE = 6

# --- region -----------------------------------------------------------------------------------------

_REGIONS: dict[str, str] = {
    **{compact(district[:-1]): district for district in vocab.SEOUL_DISTRICTS if len(district) > 2},
    **{compact(district): district for district in vocab.SEOUL_DISTRICTS},
    **{
        compact(word): area
        for area, words in vocab.AREAS.items()
        if area != vocab.OTHER_AREA
        for word in (area, *words)
    },
}
_PLACE_SUFFIXES = ("역", "동", "입구", "쪽", "근처", "부근", "인근", "주변", "점", "권")


def find_region(utterance: Utterance, cafe: str | None = None) -> str | None:
    """The first area (or Seoul 구) named, else the one in the name of the cafe named (`홍대던전`)."""
    hits = utterance.scan(_REGIONS, _PLACE_SUFFIXES, inside_cafes=True)
    if hits:
        return hits[0].value
    cafe_name = compact(cafe or "")
    return next((region for key, region in _REGIONS.items() if len(key) > 1 and key in cafe_name), None)


# --- genres -----------------------------------------------------------------------------------------

_ROMANCE = ("로맨스", "감성")
_GENRE_WORDS: dict[str, tuple[str, ...]] = {
    **{compact(w): (genre,) for genre, words in vocab.GENRES.items() for w in (genre, *words)},
    **{w: ("공포",) for w in ("귀신", "오컬트", "심령", "공포물", "호러물", "괴담", "좀비")},
    **{w: ("스릴러",) for w in ("스릴", "긴장감")},
    **{w: ("코미디",) for w in ("개그", "웃음", "유쾌")},
    **{w: ("감성",) for w in ("힐링", "감동적", "여운")},
    **{w: _ROMANCE for w in ("데이트", "연인", "설렘", "러브")},
}
# kiwi stems of how people describe a genre: 무서운/무서워 → 무섭, 웃긴/웃겨 → 웃기.
_GENRE_STEMS: dict[str, tuple[str, ...]] = {
    "무섭": ("공포",),
    "웃기": ("코미디",),
    "슬프": ("감성",),
    "설레": _ROMANCE,
    "오싹하": ("공포",),
}
_GENRE_SUFFIXES = ("물", "류", "테마", "장르", "방", "계열", "쪽")
# Words after a genre that turn it down: "공포 말고", "무섭지 않은", "호러는 싫어".
_REFUSALS = {"말", "빼", "제외", "싫", "않", "별로", "싫어하"}
_NEGATIONS = {"안", "못"}


def _refused(utterance: Utterance, start: int, end: int) -> bool:
    before = utterance.morpheme_before(start)
    if before is not None and before.form in _NEGATIONS and before.tag == "MAG":
        return True
    return any(m.form in _REFUSALS for m in utterance.morphemes_after(end, 3) if not m.tag.startswith("J"))


def find_genres(utterance: Utterance) -> list[str]:
    """Canonical genres asked for, in order of mention, without those turned down."""
    found: list[tuple[int, str]] = []
    for hit in utterance.scan(_GENRE_WORDS, _GENRE_SUFFIXES):
        adults = hit.key == "성인" and utterance.compact[hit.end : hit.end + 1].isdigit()  # "성인 2명"
        if not adults and not _refused(utterance, hit.start, hit.end):
            found.extend((hit.start, genre) for genre in hit.value)
    for morpheme in _stems(utterance, _GENRE_STEMS):
        if not _refused(utterance, morpheme.start, morpheme.end):
            found.extend((morpheme.start, genre) for genre in _GENRE_STEMS[morpheme.form])
    return list(dict.fromkeys(genre for _, genre in sorted(found, key=lambda item: item[0])))


def _stems(utterance: Utterance, stems: Mapping[str, object]) -> list[Morpheme]:
    return [
        m
        for m in utterance.morphemes
        if m.tag.startswith(("VA", "VV", "XR"))
        and m.form in stems
        and not utterance.is_masked(m.start, m.end)
    ]


# --- difficulty -------------------------------------------------------------------------------------

_DIFFICULTY_WORDS: dict[str, DifficultyLabel] = {
    **{w: "easy" for w in (
        "쉬움", "초보", "입문", "방린이", "뉴비", "초심자", "초급", "처음인데", "처음이라", "처음이에",
        "처음해", "처음가", "처음하", "난이도낮", "난이도가낮", "낮은난이도", "easy", "이지모드", "쉬운난이도",
    )},
    **{w: "hard" for w in (
        "어려움", "고난도", "고난이도", "하드", "hard", "고인물", "난이도높", "난이도가높", "높은난이도",
        "상급", "최상급", "극악", "고수", "숙련자", "매운맛",
    )},
    **{w: "normal" for w in (
        "난이도보통", "보통난이도", "난이도는보통", "보통정도", "중간난이도", "난이도중간", "난이도는중간",
        "중급", "무난한", "무난하", "normal", "적당한난이도", "난이도적당", "난이도는적당", "난이도가적당",
    )},
}  # fmt: skip
_DIFFICULTY_STEMS: dict[str, DifficultyLabel] = {"쉽": "easy", "어렵": "hard", "빡세": "hard"}
_OPPOSITE: dict[DifficultyLabel, DifficultyLabel | None] = {"easy": "hard", "hard": "easy", "normal": None}


def find_difficulty(utterance: Utterance) -> DifficultyLabel | None:
    """The difficulty asked for: the last one mentioned; `어렵지 않은` is easy, `쉽지 않은` hard."""
    found: list[tuple[int, DifficultyLabel | None]] = []
    hits = [(h.start, h.end, h.value) for h in utterance.scan(_DIFFICULTY_WORDS, ("자", "용", "들"))]
    hits += [(m.start, m.end, _DIFFICULTY_STEMS[m.form]) for m in _stems(utterance, _DIFFICULTY_STEMS)]
    for start, end, label in hits:
        after = {m.form for m in utterance.morphemes_after(end, 3) if not m.tag.startswith("J")}
        if after & {"말", "빼", "제외", "싫", "별로"}:
            continue
        before = utterance.morpheme_before(start)
        negated = "않" in after or (before is not None and before.form in _NEGATIONS and before.tag == "MAG")
        found.append((start, _OPPOSITE[label] if negated else label))
    return max(found, key=lambda item: item[0])[1] if found else None


# --- party size -------------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
    "둘": 2, "셋": 3, "넷": 4,
}  # fmt: skip
_DIGIT_COUNT = re.compile(r"(\d{1,2})(?:~(\d{1,2}))?(?:명|인(?!당)|사람)")
_WORD_COUNT = re.compile(r"(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열)(?:명|사람)")
_BARE_COUNT = re.compile(r"(둘|셋|넷|다섯|여섯|일곱|여덟)(?:이서|이랑|랑|이|서|끼리|만)")
_NUMERAL_TAGS = ("SN", "MM", "NR")  # not the 한 of 건국한 사람
_ALONE = re.compile(r"혼자|솔플|솔로플|1인플")
# "친구 3명이랑": three friends and the user.
_COMPANIONS = re.compile(
    r"(?:친구|친구들|동생|동생들|동료|동료들|후배|선배|가족|애들|형|누나|언니|오빠|부모님|조카|지인)$"
)
_WITH = ("이랑", "랑", "하고", "와", "과", "데리고")
_TWO_OF_US = re.compile(r"커플|연인|남친|여친|남자친구|여자친구|애인|와이프|아내|남편|데이트|둘만")
_GROUP = re.compile(r"단체")


def find_party_size(utterance: Utterance) -> int | None:
    """Players, the user included: the largest count named (the top of a range), else 1 for `혼자`,
    2 for a couple or a date, `GROUP_PARTY_SIZE` for `단체`."""
    text = utterance.compact
    counts: list[int] = []
    for pattern in (_DIGIT_COUNT, _WORD_COUNT, _BARE_COUNT):
        for match in pattern.finditer(text):
            start, end = match.span()
            if utterance.is_masked(start, end) or not utterance.starts_morpheme(start, _NUMERAL_TAGS):
                continue
            count = int(match.group(2) or match.group(1)) if pattern is _DIGIT_COUNT else None
            count = count or _NUMBER_WORDS[match.group(1)]
            joined = any(text.startswith(w, end) or match.group(0).endswith(w) for w in _WITH)
            if joined and _COMPANIONS.search(text[:start]):
                count += 1
            counts.append(count)
    if counts:
        return max(counts) if 0 < max(counts) <= 30 else None
    for pattern, size in ((_ALONE, 1), (_TWO_OF_US, 2), (_GROUP, GROUP_PARTY_SIZE)):
        if any(not utterance.is_masked(*m.span()) for m in pattern.finditer(text)):
            return size
    return None
