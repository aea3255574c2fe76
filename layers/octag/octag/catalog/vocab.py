"""The escape-room vocabulary: canonical genres, areas, Seoul districts and difficulty labels,
each with the spellings that mean the same thing (in the crawled listings and in user queries)."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal, get_args

# Canonical genre → other spellings. The first group of synonyms are labels the listings use
# (잼핏 "호러/공포", the official sites' "공포", "모험/탐험" and "어드벤처/미션"); the rest are how
# people ask for them.
GENRES: dict[str, tuple[str, ...]] = {
    "공포": ("호러/공포", "호러", "horror", "무서운"),
    "스릴러": ("thriller", "서스펜스"),
    "추리": ("수사", "탐정", "detective"),
    "미스터리": ("미스테리", "mystery"),
    "판타지": ("fantasy",),
    "모험": ("모험/탐험", "어드벤처/미션", "어드벤처", "탐험", "adventure"),
    "드라마": ("drama",),
    "감성": ("감동", "emotional"),
    "코미디": ("코믹", "comedy", "comic"),
    "잠입": ("stealth",),
    "범죄": ("crime",),
    "액션": ("action",),
    "SF": ("공상과학", "sci-fi"),
    "로맨스": ("로맨틱", "romance"),
    "19금": ("성인", "adult"),
    "야외": ("outdoor",),
    "역사": ("사극", "history"),
    "문제방": ("퍼즐", "puzzle"),
    "타임어택": ("time attack",),
}

# Canonical area (the listings' `area_label`) → how people and branch names say it.
# The last words of each are romanizations and nicknames people type ("홍입" for 홍대입구).
AREAS: dict[str, tuple[str, ...]] = {
    "강남": ("강남역", "신논현", "역삼", "논현", "신사", "가로수길", "gangnam"),
    "홍대": ("홍대입구", "홍익대", "합정", "상수", "연남", "홍입", "hongdae"),
    "건대": ("건대입구", "건국대", "화양", "건입", "kondae", "konkuk"),
    "신촌": ("연대", "이대", "sinchon", "shinchon"),
    "대학로": ("혜화", "성균관대", "마로니에", "daehakro", "hyehwa"),
    "잠실": ("송파", "석촌", "롯데월드", "잠실새내", "jamsil"),
    "신림": ("서울대입구", "봉천", "샤로수길", "sillim", "shillim"),
    "성수": ("서울숲", "뚝섬", "seongsu"),
    "노원": ("상계", "nowon"),
    "용산": ("신용산", "yongsan"),
    "기타": (),
}
OTHER_AREA = "기타"

SEOUL_DISTRICTS = (
    "강남구", "강동구", "강북구", "강서구", "관악구", "광진구", "구로구", "금천구", "노원구",
    "도봉구", "동대문구", "동작구", "마포구", "서대문구", "서초구", "성동구", "성북구", "송파구",
    "양천구", "영등포구", "용산구", "은평구", "종로구", "중구", "중랑구",
)  # fmt: skip
# Addresses in the listings that name a 동 (neighbourhood) instead of a 구.
DONG_DISTRICTS = {
    "역삼동": "강남구",
    "논현동": "강남구",
    "서교동": "마포구",
    "화양동": "광진구",
    "마곡동": "강서구",
}

DifficultyLabel = Literal["easy", "normal", "hard"]
DIFFICULTY_LABELS: tuple[DifficultyLabel, ...] = get_args(DifficultyLabel)
DIFFICULTY_WORDS: dict[DifficultyLabel, str] = {"easy": "쉬움", "normal": "보통", "hard": "어려움"}
# On the 1–5 scale. 잼핏 rates in whole steps and 3 is both its median and its mode, so 1–2 are
# easy, 3 (and ㅂㅌㅊ's half steps 2.5, 3.5) normal, 4–5 hard. Of the 808 rated themes of the merged
# Seoul catalog: 198 easy (25%), 314 normal (39%), 296 hard (37%).
EASY_AT_MOST = 2.0
HARD_AT_LEAST = 4.0


def fold(text: str) -> str:
    """NFKC, lower case, no spaces: the form every vocabulary lookup compares."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _index(vocabulary: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {fold(word): canonical for canonical, words in vocabulary.items() for word in (canonical, *words)}


_GENRE_INDEX = _index(GENRES)
_AREA_INDEX = _index(AREAS)


def canonical_genre(label: str) -> str | None:
    """The canonical genre a label or synonym names, or None for an unknown label."""
    return _GENRE_INDEX.get(fold(label))


def canonical_area(label: str) -> str | None:
    """The canonical area a label or synonym names, or None for an unknown label."""
    return _AREA_INDEX.get(fold(label))


def difficulty_label(score: float) -> DifficultyLabel:
    """The label of a difficulty on the 1–5 scale: easy ≤ 2 < normal < 4 ≤ hard."""
    if score <= EASY_AT_MOST:
        return "easy"
    if score >= HARD_AT_LEAST:
        return "hard"
    return "normal"
