from __future__ import annotations

import pytest

from octag.nlu import OfflineAnalyzer


@pytest.mark.parametrize(
    ("message", "region"),
    [
        ("혜화 방탈출", "대학로"),
        ("혜화역 근처 방탈출", "대학로"),
        ("홍대입구역 추천", "홍대"),
        ("강남역 공포", "강남"),
        ("건대입구에서 할 테마", "건대"),
        ("성수동 방탈출", "성수"),
        ("서울숲 근처 테마", "성수"),
        ("gangnam escape room", "강남"),
        ("마포구 방탈출 추천", "마포구"),
    ],
)
def test_regions_resolve_landmarks_and_synonyms_to_catalog_areas(
    analyzer: OfflineAnalyzer, message: str, region: str
) -> None:
    assert analyzer.analyze(message).entities.region == region


def test_a_short_area_word_inside_another_word_is_not_a_region(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("우리 이대로 괜찮을까").entities.region is None


def test_a_cafe_branch_name_gives_the_region(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("비트포비아 홍대던전 몇시까지 해?").entities.region == "홍대"


@pytest.mark.parametrize(
    ("message", "genres"),
    [
        ("무서운 테마", ["공포"]),
        ("귀신 나오는 방", ["공포"]),
        ("호러 추천", ["공포"]),
        ("웃긴 테마", ["코미디"]),
        ("미스테리 테마", ["미스터리"]),
        ("데이트로 갈 방탈출", ["로맨스", "감성"]),
        ("판타지나 모험 테마", ["판타지", "모험"]),
        ("어드벤처 좋아", ["모험"]),
    ],
)
def test_genre_words_and_synonyms_give_canonical_genres(
    analyzer: OfflineAnalyzer, message: str, genres: list[str]
) -> None:
    assert analyzer.analyze(message).entities.genres == genres


def test_refused_and_negated_genres_are_left_out(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("공포 말고 추리 테마").entities.genres == ["추리"]
    assert analyzer.analyze("무섭지 않은 테마").entities.genres == []
    assert analyzer.analyze("무서운 건 싫고 웃긴 거").entities.genres == ["코미디"]


@pytest.mark.parametrize(
    ("message", "size"),
    [
        ("2명 테마", 2),
        ("4인 추천", 4),
        ("둘이서 갈 곳", 2),
        ("세 명이 할 테마", 3),
        ("넷이서 공포", 4),
        ("커플 테마", 2),
        ("혼자 할 수 있는 방", 1),
        ("2~3명 추리", 3),
        ("친구 3명이랑 갈 곳", 4),
        ("단체로 갈 곳", 6),
        ("단체 8명 가능한 곳", 8),
    ],
)
def test_party_size_words(analyzer: OfflineAnalyzer, message: str, size: int) -> None:
    assert analyzer.analyze(message).entities.party_size == size


def test_counts_that_are_not_players_are_not_a_party_size(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("1인당 가격 얼마야").entities.party_size is None
    assert analyzer.analyze("조선을 건국한 사람은 누구인가?").entities.party_size is None


@pytest.mark.parametrize(
    ("message", "difficulty"),
    [
        ("쉬운 테마", "easy"),
        ("초보인데 추천", "easy"),
        ("입문용 방탈출", "easy"),
        ("방탈출 처음인데", "easy"),
        ("어려운 테마", "hard"),
        ("고난도 테마", "hard"),
        ("난이도 보통 정도", "normal"),
        ("어렵지 않은 테마", "easy"),
        ("초보인데 어려운 거 말고", "easy"),
    ],
)
def test_difficulty_words(analyzer: OfflineAnalyzer, message: str, difficulty: str) -> None:
    assert analyzer.analyze(message).entities.difficulty == difficulty


def test_spacing_free_messages_read_like_spaced_ones(analyzer: OfflineAnalyzer) -> None:
    spaced = analyzer.analyze("강남역 근처 무서운 테마 2명 추천 좀")
    squeezed = analyzer.analyze("강남역근처무서운테마2명추천좀")
    assert squeezed == spaced
    assert squeezed.entities.model_dump(exclude_defaults=True) == {
        "region": "강남", "genres": ["공포"], "party_size": 2
    }  # fmt: skip


def test_words_inside_a_theme_name_are_not_read_as_entities(analyzer: OfflineAnalyzer) -> None:
    found = analyzer.analyze("신사정육점 테마 가격").entities  # 신사 is a 강남 landmark
    assert (found.theme, found.region) == ("신사정육점", None)
