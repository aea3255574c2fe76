"""Each cleaning rule on small hand-made listing rows."""

from __future__ import annotations

import pytest

from octag.catalog.cleaning import Catalog, Rejection, Theme, clean_catalog
from tests.unit.catalog.listing_rows import INDEX, OFFICIAL, cafe, listing, theme


def _one_theme(name: str = "층간소음", **fields) -> Theme:
    catalog = clean_catalog(listing(cafe("제로월드", "강남점", theme(name, **fields))))
    (only,) = catalog.themes
    return only


def _themes(*cafes) -> Catalog:
    return clean_catalog(listing(*cafes))


# --- "null" and missing values ---------------------------------------------------------------------


def test_the_string_null_is_a_missing_value_in_every_field() -> None:
    catalog = _themes(
        cafe(
            "제로월드",
            "강남점",
            theme("층간소음", genre_labels=["null"], activity_label="null", difficulty_label="null"),
            phone="null",
        )
    )
    (found,) = catalog.themes
    assert (found.genres, found.activity, found.difficulty, found.difficulty_label) == ((), None, None, None)
    assert catalog.cafes[0].phone is None
    assert catalog.report.null_strings == 4


def test_missing_player_counts_stay_unknown_and_zero_is_unknown_too() -> None:
    assert (_one_theme().min_players, _one_theme().max_players) == (None, None)
    zero = _one_theme(min_players=0, max_players=6)
    assert (zero.min_players, zero.max_players) == (None, 6)


def test_price_and_duration_are_whole_positive_numbers_else_unknown() -> None:
    found = _one_theme(price_per_person="25,000", duration_minutes=75)
    assert (found.price_per_person, found.duration_minutes) == (25000, 75)
    unknown = _one_theme(price_per_person=0, duration_minutes="약 1시간")
    assert (unknown.price_per_person, unknown.duration_minutes) == (None, None)


def test_price_tiers_are_read_from_the_price_text_and_a_cut_off_tail_is_dropped() -> None:
    found = _one_theme(price_text="2인 27,000원/인 / 3인 25,000원/인 / 4인 23,000원/인 / 5")
    assert found.price_tiers == ((2, 27000), (3, 25000), (4, 23000))


def test_activity_words_become_low_medium_high() -> None:
    assert [_one_theme(activity_label=w).activity for w in ("적음", "보통", "많음")] == [
        "low",
        "medium",
        "high",
    ]


# --- difficulty ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "score", "expected"),
    [
        ("4 / 10", 4, (2.0, "easy")),  # ㅂㅌㅊ's ten-point scale, halved
        ("5 / 10", 5, (2.5, "normal")),
        ("7 / 10", 7, (3.5, "normal")),
        ("8 / 10", 8, (4.0, "hard")),
        ("1 / 10", 1, (1.0, "easy")),  # halved it would be 0.5: the scale starts at 1
        ("2", 4, (2.0, "easy")),  # 잼핏's five-point label; its difficulty_score is doubled
        ("3", 6, (3.0, "normal")),
        ("3.5", 7, (3.5, "normal")),  # an official page's half step
        ("4", 8, (4.0, "hard")),
        ("5", 10, (5.0, "hard")),
        ("4/5", 8, (4.0, "hard")),
    ],
)
def test_difficulty_lands_on_one_five_point_scale_with_its_label(label, score, expected) -> None:
    found = _one_theme(difficulty_label=label, difficulty_score=score)
    assert (found.difficulty, found.difficulty_label) == expected


@pytest.mark.parametrize("label", ["0", "67 / 10", '<img src="star_16_10.png">'])
def test_a_difficulty_outside_its_scale_is_unknown_not_clamped(label) -> None:
    catalog = _themes(
        cafe("제로월드", "강남점", theme("층간소음", difficulty_label=label, difficulty_score=10))
    )
    assert (catalog.themes[0].difficulty, catalog.themes[0].difficulty_label) == (None, None)
    assert catalog.report.difficulty_out_of_scale == 1


# --- genres --------------------------------------------------------------------------------------


def test_genre_synonyms_become_one_canonical_genre() -> None:
    assert _one_theme(genre_labels=["호러/공포"]).genres == ("공포",)
    assert _one_theme(genre_labels=["공포"]).genres == ("공포",)
    assert _one_theme(genre_labels=["모험/탐험", "어드벤처/미션"]).genres == ("모험",)
    assert _one_theme(genre_labels=["코믹"]).genres == ("코미디",)


def test_a_compound_genre_label_is_read_part_by_part_and_unknown_labels_are_counted() -> None:
    catalog = _themes(cafe("제로월드", "강남점", theme("층간소음", genre_labels=["잠입•액션", "요리"])))
    assert catalog.themes[0].genres == ("잠입", "액션")
    assert catalog.report.genres_unknown == {"요리": 1}


def test_a_genre_annotation_in_a_theme_name_becomes_genres_and_leaves_the_name() -> None:
    found = _one_theme("민초 (코믹 / 잠입)", source_name=INDEX)
    assert (found.name, found.genres) == ("민초", ("코미디", "잠입"))
    assert _one_theme("납치 (2인전용)").name == "납치 (2인전용)"


# --- areas and districts -------------------------------------------------------------------------


def test_an_area_label_is_kept_when_canonical_and_else_is_other() -> None:
    assert _themes(cafe(area_label="홍대")).cafes[0].area == "홍대"
    assert _themes(cafe("엔터팟", None, area_label="전국")).cafes[0].area == "기타"


def test_an_unknown_area_is_taken_from_a_branch_that_names_one() -> None:
    catalog = _themes(cafe("더코드", "신림점", area_label="기타", district="관", address="서울 관"))
    assert (catalog.cafes[0].area, catalog.cafes[0].district) == ("신림", None)
    assert catalog.report.areas_inferred == 1


def test_an_address_outside_seoul_has_no_seoul_area_or_district() -> None:
    found = _themes(
        cafe(
            "어클락 이스케이프",
            None,
            area_label="대학로",
            district="대학로",
            address="경기도 시흥시 서울대학로278번길 43-13",
        )
    ).cafes[0]
    assert (found.area, found.district) == ("기타", None)


@pytest.mark.parametrize(
    ("district", "address", "expected"),
    [
        ("서초구", "서울 서초구 서초대로73길 40", "서초구"),
        ("강남", "서울시 서초구 서초대로75길 34, 4층", "서초구"),  # an area label in the district field
        ("역삼동", "서울 역삼동 830-5 지하1층", "강남구"),  # a 동 instead of a 구
        ("기타", "서울", None),
    ],
)
def test_districts_are_seoul_gu_from_the_record_or_its_address(district, address, expected) -> None:
    assert _themes(cafe(district=district, address=address)).cafes[0].district == expected


# --- duplicates ----------------------------------------------------------------------------------


def test_one_theme_spelled_in_two_scripts_by_two_sources_is_merged_keeping_both_urls() -> None:
    index_row = theme(
        "포레스트 (FORREST)", INDEX, difficulty_label="4 / 10", source_url="https://too1s/forrest"
    )
    zamfit_row = theme(
        "FOREST (포레스트)",
        genre_labels=["호러/공포"],
        min_players=2,
        max_players=6,
        difficulty_label="4",
        source_url="https://zamfit/5702",
    )
    catalog = _themes(cafe("제로월드", "강남점", index_row, zamfit_row))
    (merged,) = catalog.themes
    assert merged.name == "FOREST (포레스트)"  # 잼핏's row is the better described one
    assert merged.other_names == ("포레스트 (FORREST)",)
    assert merged.source_urls == ("https://zamfit/5702", "https://too1s/forrest")
    assert (merged.genres, merged.min_players, merged.max_players) == (("공포",), 2, 6)
    assert (merged.difficulty, merged.difficulty_label) == (4.0, "hard")
    assert catalog.report.themes_merged == 1


@pytest.mark.parametrize(
    ("index_name", "zamfit_name"),
    [
        ("살랑살랑연구소", "살랑살랑 연구소"),
        ("US 어스", "US (어스)"),
        ("고인 (미스터리)", "go in (고인)"),
        ("EP1 : 시간이 멈춘 마을 ()", "EP1 - 시간이 멈춘 마을"),
        ("LOST KINGDOM2 : 대탐험의 시작", "LOST KINGDOM 2 - 대탐험의 시작 (로스트 킹덤 2)"),
        ("NOMON : THE ORDEAL (판타지)", "NOMON - THE ORDEAL (노몬)"),
        ("미스터리 거울의 방 (3인이상) -15세 이상-", "미스터리 거울의 방"),
        ("태초의 신부", "태초의 신부 - 이브 프로젝트"),
    ],
)
def test_spellings_of_one_theme_seen_in_the_listing_are_merged(index_name, zamfit_name) -> None:
    catalog = _themes(cafe("제로월드", "강남점", theme(index_name, INDEX), theme(zamfit_name)))
    assert [t.name for t in catalog.themes] == [zamfit_name]


@pytest.mark.parametrize(
    ("index_name", "zamfit_name"),
    [
        ("나비효과", "나비효과 2"),
        ("셜록홈즈 - 살인누명", "셜록홈즈 - 사라진 보석"),
        ("LOST KINGDOM - 잊혀진 전설", "LOST KINGDOM2 : 대탐험의 시작"),
    ],
)
def test_different_themes_with_similar_names_stay_apart(index_name, zamfit_name) -> None:
    catalog = _themes(cafe("제로월드", "강남점", theme(index_name, INDEX), theme(zamfit_name)))
    assert len(catalog.themes) == 2


def test_one_source_never_merges_two_of_its_own_themes_in_one_cafe() -> None:
    catalog = _themes(
        cafe("제로월드", "강남점", theme("도둑들"), theme("도둑들 - 시즌 2"), theme("도둑들", OFFICIAL))
    )
    assert [(t.name, len(t.source_urls)) for t in catalog.themes] == [("도둑들", 2), ("도둑들 - 시즌 2", 1)]


def test_two_records_of_one_cafe_are_merged_by_name_key() -> None:
    catalog = _themes(
        cafe("키이스케이프 강남", None, theme("살랑살랑연구소", INDEX), source_url="https://too1s.com/3"),
        cafe("키이스케이프", "강남점", theme("살랑살랑 연구소"), phone="02-1234-5678"),
        cafe("황금열쇠 플라워로드", None, source_url="https://too1s.com/22"),
        cafe("황금열쇠", "강남플라워로드점"),
    )
    assert [(c.name, c.branch) for c in catalog.cafes] == [
        ("키이스케이프", "강남점"),
        ("황금열쇠", "강남플라워로드점"),
    ]
    assert catalog.cafes[0].phone == "02-1234-5678"
    assert catalog.cafes[0].source_urls == ("https://web.zamfit.co.kr/escapes/1", "https://too1s.com/3")
    assert [t.name for t in catalog.themes] == ["살랑살랑 연구소"]
    assert (catalog.report.cafes_merged, catalog.report.themes_merged) == (2, 1)


def test_records_of_one_brand_at_one_street_address_and_floor_are_one_cafe() -> None:
    address = "서울 강남구 강남대로98길 16 파빌리온빌딩 4층"
    catalog = _themes(
        cafe(
            "키이스케이프 로그인",
            None,
            theme("머니머니패키지", INDEX),
            address=address,
            source_url="https://too1s.com/5",
        ),
        cafe("키이스케이프 LOG_IN 1", None, theme("머니머니패키지"), address=address),
        cafe("키이스케이프 LOG_IN 2", None, address="서울 강남구 강남대로98길 16, 5층(역삼동)"),
        cafe("플레이포인트랩", "강남점", address=address),  # another brand in the same building
    )
    assert [c.name for c in catalog.cafes] == [
        "키이스케이프 LOG_IN 1",
        "키이스케이프 LOG_IN 2",
        "플레이포인트랩",
    ]
    assert len(catalog.themes) == 1


def test_a_cut_off_record_of_a_cafe_takes_the_full_records_district() -> None:
    catalog = _themes(
        cafe(
            "더코드",
            "신림점",
            theme("아파트"),
            area_label="신림",
            district="관악구",
            address="서울 관악구 남부순환로 1596 4층",
        ),
        cafe(
            "더코드",
            "신림점",
            theme("세기의 명화를 훔치는 도둑들"),
            area_label="기타",
            district="관",
            address="서울 관",
        ),
    )
    (merged,) = catalog.cafes
    assert (merged.area, merged.district, merged.address) == (
        "신림",
        "관악구",
        "서울 관악구 남부순환로 1596 4층",
    )
    assert len(catalog.themes) == 2


def test_branches_of_a_franchise_keep_their_own_copies_of_a_theme() -> None:
    catalog = _themes(
        cafe(
            "셜록홈즈",
            "대학로점",
            theme("위험한 레시피"),
            area_label="대학로",
            address="서울 종로구 대학로10길 5 4층",
        ),
        cafe(
            "셜록홈즈",
            "잠실1호점",
            theme("위험한 레시피", INDEX),
            area_label="잠실",
            address="서울 송파구 백제고분로7길 19 3층",
        ),
    )
    assert len(catalog.cafes) == len(catalog.themes) == 2


# --- keys, rejections, determinism ---------------------------------------------------------------


def test_keys_are_natural_and_a_listing_repeat_gets_a_numbered_key() -> None:
    catalog = _themes(cafe("제로월드", "강남점", theme("FOREST (포레스트)"), theme("FOREST (포레스트)")))
    assert catalog.cafes[0].key == "제로월드 강남점|강남"
    assert [t.key for t in catalog.themes] == [
        "제로월드 강남점|강남/forest 포레스트",
        "제로월드 강남점|강남/forest 포레스트#2",
    ]


def test_rows_that_cannot_be_cleaned_are_rejected_with_where_and_why() -> None:
    catalog = _themes(
        cafe("제로월드", "강남점", theme("null", source_url="https://zamfit/9"), "not a row", theme("헐!")),
        cafe("", None),
    )
    assert catalog.rejections == (
        Rejection("cafes[0].themes[0]", "theme has no name", "https://zamfit/9"),
        Rejection("cafes[0].themes[1]", "theme is not an object"),
        Rejection("cafes[1]", "cafe has no name", "https://web.zamfit.co.kr/escapes/1"),
    )
    assert [t.name for t in catalog.themes] == ["헐!"]


@pytest.mark.parametrize("document", [[], {"themes": []}, "cafes"])
def test_a_document_that_is_not_a_listing_is_refused(document) -> None:
    with pytest.raises(ValueError, match="not an escape-room listing"):
        clean_catalog(document)


def test_cleaning_is_deterministic() -> None:
    rows = listing(
        cafe("키이스케이프 강남", None, theme("월야애담", INDEX, difficulty_label="8 / 10")),
        cafe("키이스케이프", "강남점", theme("월야애담", difficulty_label="2")),
    )
    assert clean_catalog(rows) == clean_catalog(rows)
