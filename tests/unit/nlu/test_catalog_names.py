from __future__ import annotations

import pytest

from octag.nlu import CatalogNames, OfflineAnalyzer


@pytest.mark.parametrize(
    "message",
    [
        "FOREST 가격",
        "forest 가격",
        "포레스트 가격",
        '"포레스트" 가격',
        "포래스트 가격",
        "FOREST(포레스트) 가격",
    ],
)
def test_a_theme_is_found_in_either_script_case_quotes_and_with_a_typo(
    analyzer: OfflineAnalyzer, message: str
) -> None:
    assert analyzer.analyze(message).entities.theme == "FOREST (포레스트)"


@pytest.mark.parametrize("message", ['"월야 애담" 몇 분이야', "월야애담 몇 분이야", "'월야애닮' 몇 분이야"])
def test_theme_names_ignore_spacing_and_quoted_typos(analyzer: OfflineAnalyzer, message: str) -> None:
    assert analyzer.analyze(message).entities.theme == "월야애담"


def test_a_title_without_its_subtitle_names_the_theme(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("태초의 신부 테마 몇 명이야").entities.theme == "태초의 신부 - 이브 프로젝트"


def test_everyday_words_name_a_theme_only_quoted_or_followed_by_a_theme_word(
    analyzer: OfflineAnalyzer,
) -> None:
    assert analyzer.analyze("오늘 나는 선물 받았어").entities.theme is None
    assert analyzer.analyze("선물 테마 후기 어때").entities.theme == "선물"
    assert analyzer.analyze("'선물' 어때").entities.theme == "선물"
    for question in ("미녀와 야수 어디에 있어?", "미녀와 야수 플레이 시간 몇 분이에요?"):  # where, how long
        assert analyzer.analyze(question).entities.theme == "미녀와 야수", question


def test_genre_words_never_name_a_theme_unquoted(analyzer: OfflineAnalyzer) -> None:
    assert analyzer.analyze("미스터리 테마 추천해줘").entities.theme is None
    assert analyzer.analyze('"미스터리" 테마 가격').entities.theme == "미스터리"


def test_cafes_are_found_without_their_branch_and_generic_words(analyzer: OfflineAnalyzer) -> None:
    found = analyzer.analyze("제로월드 강남점 어디야").entities
    assert (found.cafe, found.region) == ("제로월드", "강남")
    assert analyzer.analyze("겟어웨이 위치 알려줘").entities.cafe == "겟어웨이 방탈출"


def test_names_from_database_rows_and_a_spelling_two_names_share_names_neither() -> None:
    names = CatalogNames.from_rows(
        [
            ("EP1 - 시간이 멈춘 마을", [], "도어이스케이프"),
            ("EP.1 료칸 살인사건", [], "셜록홈즈"),
            ("FOREST (포레스트)", ["포레스트 (FORREST)"], "비밀의화원"),
        ]
    )
    analyzer = OfflineAnalyzer(names)
    assert analyzer.analyze("EP1 가격").entities.theme is None
    assert analyzer.analyze("EP1 시간이멈춘마을 가격").entities.theme == "EP1 - 시간이 멈춘 마을"
    assert analyzer.analyze("forrest 가격").entities.theme == "FOREST (포레스트)"
    assert analyzer.analyze("비밀의화원 위치").entities.cafe == "비밀의화원"


def test_without_names_themes_are_not_recognized_but_everything_else_is() -> None:
    found = OfflineAnalyzer().analyze("포레스트 강남 2명")
    assert found.entities.theme is None
    assert (found.entities.region, found.entities.party_size) == ("강남", 2)
