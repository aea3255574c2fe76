"""Cleaning of crawled escape-room listings (the `seoul-themes.seed.json` format) into one catalog.

The listings merge two sites (ㅂㅌㅊ, 잼핏) and a few official pages, so the same cafe can appear as
two records and the same theme twice under two spellings. Cleaning is pure and deterministic:
the same file always gives the same catalog, keys and report.

- The string "null" is a missing value, wherever it appears.
- Difficulty goes onto one 1–5 scale: 잼핏 and the official pages give 1–5 already (their
  `difficulty_score` is that value doubled); ㅂㅌㅊ gives "x / 10", halved (floor 1). A value
  outside its scale (잼핏's "0", ㅂㅌㅊ's "67 / 10") is unknown. The label follows
  `vocab.difficulty_label`.
- Genres map onto `vocab.GENRES`; a genre in a theme-name annotation ("BACK화점 (범죄)") counts too.
- Areas map onto `vocab.AREAS`; an unknown area ("기타") is taken from a branch name that names
  one ("신림점"); an address outside Seoul has no area. Districts are Seoul 구 only: from the
  record, else its address, else the address's 동.
- Cafe records are one cafe when their name keys match (spaces, "방탈출"/"카페", "점"/"호점" and
  the area's own name ignored), or when they share a brand and a street address with floor.
- Within one cafe, themes of different sources are one theme when a name key matches: the
  compact name, the title without annotations, the title in either script where a name gives
  both ("FOREST (포레스트)"), or the title without its subtitle.
- Player counts, price and duration stay None when missing or not positive, never 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, TypeVar

from octag.catalog import vocab

# Most trusted first: the cafe's own page, then 잼핏's detail pages, then ㅂㅌㅊ's index.
SOURCE_RANK = {"카페 공식 사이트 직접 확인": 0, "잼핏 테마 상세": 1, "ㅂㅌㅊ 전체 테마": 2}
_T = TypeVar("_T")
_ACTIVITY = {"적음": "low", "보통": "medium", "많음": "high"}

_TOKEN = re.compile(r"[0-9a-z가-힣]+")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[a-z]")
_BRACKETED = re.compile(r"\s*[(\[{]([^)\]}]*)[)\]}]")
_DASHED_NOTE = re.compile(r"\s+-[^-]+-\s*$")  # "미스터리 거울의 방 -15세 이상-"
_SUBTITLE = re.compile(r"\s+[-–—:]\s+|\s*:\s*")
_OUT_OF = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(5|10)\s*$")
_PRICE_TIER = re.compile(r"(\d+)인\s*([\d,]+)원")
_GENERIC_CAFE_WORDS = re.compile(r"방탈출\s*카페|방탈출|카페")
_BRANCH_SUFFIX = re.compile(r"(호)?점$")
_STREET = re.compile(r"\S+(?:로|길)\s*\d")
_FLOOR = re.compile(r"(?:지하\s*|b|지)?\d+(?:,\d+)?\s*(?:층|f)\b|지하|지층", re.IGNORECASE)
_CITY_PREFIX = re.compile(r"^(?:주소\s*)?(?:서울특별시|서울시|서울)\s*")
_OTHER_REGION = re.compile(r"^(?:\S+도|인천|부산|대구|광주|대전|울산|세종)\S*\s")
_LABEL_PARTS = re.compile(r"[/•·,]|\s+")


@dataclass(frozen=True)
class Cafe:
    key: str
    name: str
    branch: str | None
    area: str  # a key of vocab.AREAS
    district: str | None  # a Seoul 구
    address: str | None
    phone: str | None
    website_url: str | None
    booking_url: str | None
    source_urls: tuple[str, ...]


@dataclass(frozen=True)
class Theme:
    key: str
    cafe_key: str
    name: str
    other_names: tuple[str, ...]  # spellings of the same theme in other sources
    genres: tuple[str, ...]
    min_players: int | None
    max_players: int | None
    difficulty: float | None  # 1–5
    difficulty_label: vocab.DifficultyLabel | None
    activity: str | None  # low | medium | high
    price_per_person: int | None  # won, at the smallest party the listing prices
    price_tiers: tuple[tuple[int, int], ...]  # (party size, won per person), as listed
    duration_minutes: int | None
    booking_url: str | None
    image_url: str | None
    sources: tuple[str, ...]
    source_urls: tuple[str, ...]


@dataclass(frozen=True)
class Rejection:
    """A listing row that could not be cleaned."""

    location: str  # e.g. "cafes[3].themes[1]"
    reason: str
    source_url: str | None = None


@dataclass
class CleaningReport:
    cafe_records: int = 0
    theme_records: int = 0
    cafes: int = 0
    themes: int = 0
    cafes_merged: int = 0  # records folded into another record of the same cafe
    themes_merged: int = 0  # records folded into another source's record of the same theme
    null_strings: int = 0
    genres_renamed: int = 0  # labels mapped onto a different canonical spelling
    genres_unknown: Counter[str] = field(default_factory=Counter)
    genres_from_names: int = 0
    areas_inferred: int = 0
    areas_outside_seoul: int = 0
    districts_fixed: int = 0
    difficulty_out_of_scale: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class Catalog:
    cafes: tuple[Cafe, ...]
    themes: tuple[Theme, ...]
    report: CleaningReport
    rejections: tuple[Rejection, ...] = ()

    @cached_property
    def cafes_by_key(self) -> dict[str, Cafe]:
        return {cafe.key: cafe for cafe in self.cafes}


def clean_catalog(listing: Any) -> Catalog:
    """The cleaned catalog of a parsed listings document (`{"cafes": [{..., "themes": [...]}]}`).

    Raises ValueError when the document is not a listing at all.
    """
    if not isinstance(listing, dict) or not isinstance(listing.get("cafes"), list):
        raise ValueError('not an escape-room listing: expected an object with a "cafes" list')
    report = CleaningReport()
    rejections: list[Rejection] = []
    records: list[_CafeRecord] = []
    for index, raw in enumerate(listing["cafes"]):
        record = _cafe_record(raw, index, report, rejections)
        if record is not None:
            records.append(record)
    cafes: list[Cafe] = []
    themes: list[Theme] = []
    for group in _cafe_groups(records):
        report.cafes_merged += len(group) - 1
        cafe = _merge_cafes(group)
        cafes.append(cafe)
        theme_records = [theme for record in group for theme in record.themes]
        for theme_group in _theme_groups(theme_records):
            report.themes_merged += len(theme_group) - 1
            themes.append(_merge_themes(cafe, theme_group))
    _disambiguate_keys(themes)
    report.cafe_records = len(records)
    report.theme_records = sum(len(record.themes) for record in records)
    report.cafes, report.themes, report.rejected = len(cafes), len(themes), len(rejections)
    return Catalog(tuple(cafes), tuple(themes), report, tuple(rejections))


# --- records: one listing row, its values cleaned -------------------------------------------------


@dataclass
class _ThemeRecord:
    order: tuple[int, int]  # (cafe record, theme) in the file
    name: str
    keys: _NameKeys
    source: str
    source_url: str | None
    genres: list[str]
    min_players: int | None
    max_players: int | None
    difficulty: float | None
    activity: str | None
    price_per_person: int | None
    price_tiers: tuple[tuple[int, int], ...]
    duration_minutes: int | None
    booking_url: str | None
    image_url: str | None

    @property
    def origin(self) -> tuple[int, str]:
        return self.order[0], self.source

    @property
    def rank(self) -> tuple[int, tuple[int, int]]:
        # A row several sources agree on is named "ㅂㅌㅊ 전체 테마 + 잼핏 테마 상세".
        return min(SOURCE_RANK.get(s, len(SOURCE_RANK)) for s in self.source.split(" + ")), self.order


@dataclass
class _CafeRecord:
    order: int
    name: str
    branch: str | None
    area: str
    district: str | None
    address: str | None
    phone: str | None
    website_url: str | None
    booking_url: str | None
    source_url: str | None
    themes: list[_ThemeRecord]

    @property
    def name_key(self) -> str:
        """Name and branch without spaces, generic words, 점/호점 or the area's own name."""
        text = _GENERIC_CAFE_WORDS.sub(" ", _normalize(f"{self.name} {self.branch or ''}"))
        key = "".join(_BRANCH_SUFFIX.sub("", token) for token in _TOKEN.findall(text))
        if self.area != vocab.OTHER_AREA:
            key = key.replace(self.area, "")
        return f"{self.area}|{key}"

    @property
    def site_key(self) -> str | None:
        """Brand and street address with floor; None when the address has no street or floor."""
        if not self.address or not _STREET.search(self.address) or not _FLOOR.search(self.address):
            return None
        address = _CITY_PREFIX.sub("", _BRACKETED.sub("", _normalize(self.address)))
        address = re.sub(r"^\S+구\s*", "", address)
        brand = _TOKEN.findall(_GENERIC_CAFE_WORDS.sub(" ", _normalize(self.name)))
        return f"{brand[0] if brand else ''}@{''.join(_TOKEN.findall(address))}"

    @property
    def rank(self) -> tuple[bool, bool, int]:
        # Best first: an address with its street (not cut off), then 잼핏's record over ㅂㅌㅊ's.
        cut_off = not (self.address and _STREET.search(self.address))
        from_index = bool(self.source_url and "too1s.com" in self.source_url)
        return cut_off, from_index, self.order


def _cafe_record(
    raw: dict[str, Any], index: int, report: CleaningReport, rejections: list[Rejection]
) -> _CafeRecord | None:
    location = f"cafes[{index}]"
    if not isinstance(raw, dict):
        rejections.append(Rejection(location, "cafe is not an object"))
        return None
    values = _Values(raw, report)
    name = values.text("name")
    if name is None:
        rejections.append(Rejection(location, "cafe has no name", values.text("source_url")))
        return None
    address = values.text("address")
    area = _clean_area(values.text("area_label"), name, values.text("branch_name"), address, report)
    record = _CafeRecord(
        order=index,
        name=name,
        branch=values.text("branch_name"),
        area=area,
        district=_clean_district(values.text("district"), address, report),
        address=address,
        phone=values.text("phone"),
        website_url=values.text("website_url"),
        booking_url=values.text("booking_url"),
        source_url=values.text("source_url"),
        themes=[],
    )
    for number, raw_theme in enumerate(raw.get("themes") or []):
        theme = _theme_record(raw_theme, (index, number), report)
        if isinstance(theme, Rejection):
            rejections.append(replace(theme, location=f"{location}.themes[{number}]"))
        else:
            record.themes.append(theme)
    return record


def _theme_record(raw: Any, order: tuple[int, int], report: CleaningReport) -> _ThemeRecord | Rejection:
    if not isinstance(raw, dict):
        return Rejection("", "theme is not an object")
    values = _Values(raw, report)
    name = values.text("name")
    if name is None:
        return Rejection("", "theme has no name", values.text("source_url"))
    genres = _clean_genres(values.texts("genre_labels"), report)
    for note in _genre_notes(name):
        if note not in genres:
            genres.append(note)
            report.genres_from_names += 1
    return _ThemeRecord(
        order=order,
        name=_display_name(name),
        keys=_NameKeys.of(name),
        source=values.text("source_name") or "",
        source_url=values.text("source_url"),
        genres=genres,
        min_players=values.count("min_players"),
        max_players=values.count("max_players"),
        difficulty=_clean_difficulty(values.text("difficulty_label"), report),
        activity=_ACTIVITY.get(values.text("activity_label") or ""),
        price_per_person=values.count("price_per_person"),
        price_tiers=_price_tiers(values.text("price_text")),
        duration_minutes=values.count("duration_minutes"),
        booking_url=values.text("booking_url"),
        image_url=values.text("image_url"),
    )


class _Values:
    """Field access on one raw row: missing, empty and "null" all read as None (and "null" is counted)."""

    def __init__(self, raw: dict[str, Any], report: CleaningReport | None) -> None:
        self._raw, self._report = raw, report

    def _present(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.lower() == "null":
                if self._report is not None:
                    self._report.null_strings += 1
                return None
            return value or None
        return value

    def text(self, name: str) -> str | None:
        value = self._present(self._raw.get(name))
        return None if value is None else unicodedata.normalize("NFC", str(value))

    def texts(self, name: str) -> list[str]:
        items = self._raw.get(name) or []
        return [text for item in items if (text := self._present(item)) is not None]

    def count(self, name: str) -> int | None:
        """A positive whole number (players, won, minutes), else None: unknown is never 0."""
        value = self._present(self._raw.get(name))
        if isinstance(value, str):
            value = value.replace(",", "")
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if number > 0 and number.is_integer() else None


# --- field rules ----------------------------------------------------------------------------------


def _clean_difficulty(label: str | None, report: CleaningReport) -> float | None:
    """A difficulty label on the 1–5 scale: "x / 10" halved (floor 1), "x / 5" and a bare x as is."""
    if label is None:
        return None
    out_of = _OUT_OF.match(label)
    try:
        value, scale = (float(out_of[1]), int(out_of[2])) if out_of else (float(label), 5)
    except ValueError:
        value, scale = -1.0, 5
    if 0 < value <= scale and (out_of or value >= 1):
        return round(max(1.0, value * 5 / scale), 2)
    report.difficulty_out_of_scale += 1
    return None


def _clean_genres(labels: Iterable[str], report: CleaningReport) -> list[str]:
    """Labels onto canonical genres; an unknown label is read part by part ("잠입•액션")."""
    genres: list[str] = []
    for label in labels:
        genre = vocab.canonical_genre(label)
        found = (
            [genre]
            if genre
            else [g for p in _LABEL_PARTS.split(label) if p and (g := vocab.canonical_genre(p))]
        )
        if not found:
            report.genres_unknown[label] += 1
        elif found != [label]:
            report.genres_renamed += 1
        genres.extend(g for g in found if g not in genres)
    return genres


def _genre_notes(name: str) -> list[str]:
    """Genres named in a bracketed annotation of a theme name: "고령화사회 (수사 / 추리)"."""
    genres: list[str] = []
    for note in _BRACKETED.findall(_normalize(name)):
        for part in re.split(r"[/,]", note):
            genre = vocab.canonical_genre(part)
            if genre and genre not in genres:
                genres.append(genre)
    return genres


def _clean_area(
    label: str | None, name: str, branch: str | None, address: str | None, report: CleaningReport
) -> str:
    if address and _OTHER_REGION.match(address):
        # "경기도 시흥시 서울대학로…": the crawl's Seoul filter matched a street name.
        report.areas_outside_seoul += 1
        return vocab.OTHER_AREA
    area = (vocab.canonical_area(label) if label else None) or vocab.OTHER_AREA
    if area == vocab.OTHER_AREA:
        named = [a for a in vocab.AREAS if a != vocab.OTHER_AREA and a in f"{name} {branch or ''}"]
        if len(named) == 1:
            report.areas_inferred += 1
            return named[0]
    return area


def _clean_district(label: str | None, address: str | None, report: CleaningReport) -> str | None:
    """The record's 구, else the 구 (or 동) its Seoul address names, else None."""
    if label in vocab.SEOUL_DISTRICTS:
        return label
    district = None
    address = _normalize(address or "")
    if _CITY_PREFIX.match(address):
        words = re.findall(r"[^\s,]+", address)
        district = _first(
            vocab.DONG_DISTRICTS.get(w, w if w in vocab.SEOUL_DISTRICTS else None) for w in words
        )
    if district != label:
        report.districts_fixed += 1
    return district


def _price_tiers(text: str | None) -> tuple[tuple[int, int], ...]:
    """ "2인 27,000원/인 / 3인 25,000원/인" → ((2, 27000), (3, 25000)); a cut-off tail is dropped."""
    tiers: dict[int, int] = {}
    for players, won in _PRICE_TIER.findall(text or ""):
        tiers.setdefault(int(players), int(won.replace(",", "")))
    return tuple(sorted(tiers.items()))


def _display_name(name: str) -> str:
    """The name without empty brackets and genre annotations ("BACK화점 (범죄)" → "BACK화점")."""

    def keep(match: re.Match[str]) -> str:
        note = match[1].strip()
        return "" if not note or _is_genre_note(note) else match[0]

    return re.sub(r"\s+", " ", _BRACKETED.sub(keep, name)).strip()


def _is_genre_note(note: str) -> bool:
    return any(vocab.canonical_genre(part) for part in re.split(r"[/,]", note))


def _normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


# --- theme names ----------------------------------------------------------------------------------


def _compact(text: str) -> str:
    return "".join(_TOKEN.findall(text))


@dataclass(frozen=True)
class _NameKeys:
    """The forms of a theme name that identify it: `strong` ones match each other, `main` (the
    title without its subtitle) matches a strong form of the other name only."""

    strong: frozenset[str]
    main: str | None

    @classmethod
    def of(cls, name: str) -> _NameKeys:
        text = _normalize(name)
        notes = [n for n in _BRACKETED.findall(text) if n.strip() and not _is_genre_note(n)]
        title = _DASHED_NOTE.sub("", _BRACKETED.sub(" ", text)).strip()
        strong = {_compact(text), _compact(title)}
        # The same title in the other script: "FOREST (포레스트)", "go in (고인)", "US 어스".
        strong.update(_compact(n) for n in notes if {_script(title), _script(n)} == {"latin", "hangul"})
        words = _TOKEN.findall(title)
        scripts = {_script(word) for word in words}
        if {"latin", "hangul"} <= scripts and "mixed" not in scripts:
            for script in ("latin", "hangul"):
                strong.add("".join(w for w in words if _script(w) in (script, "digits")))
        parts = _SUBTITLE.split(title, maxsplit=1)
        main = _compact(parts[0]) if len(parts) == 2 and _compact(parts[1]) else ""
        strong.discard("")
        return cls(frozenset(strong), main or None)

    def strength_of_match(self, other: _NameKeys) -> int | None:
        """2 for a strong match, 1 for a title matching a title without subtitle, else None."""
        if self.strong & other.strong:
            return 2
        if (self.main and self.main in other.strong) or (other.main and other.main in self.strong):
            return 1
        return None


def _script(text: str) -> str:
    hangul, latin = bool(_HANGUL.search(text)), bool(_LATIN.search(text))
    if hangul and latin:
        return "mixed"
    if hangul:
        return "hangul"
    if latin:
        return "latin"
    return "digits" if re.search(r"\d", text) else ""


# --- merging --------------------------------------------------------------------------------------


def _cafe_groups(records: Sequence[_CafeRecord]) -> list[list[_CafeRecord]]:
    """Records of the same cafe, each group best record first, groups in file order."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[str, int] = {}
    for i, record in enumerate(records):
        for key in (record.name_key, record.site_key):
            if key is None:
                continue
            if key in first_of:
                parent[root(i)] = root(first_of[key])
            else:
                first_of[key] = i
    groups: dict[int, list[_CafeRecord]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    return [sorted(group, key=lambda r: r.rank) for group in groups.values()]


def _merge_cafes(group: list[_CafeRecord]) -> Cafe:
    best = group[0]
    area = _first(r.area for r in group if r.area != vocab.OTHER_AREA) or vocab.OTHER_AREA
    tokens = _TOKEN.findall(_normalize(f"{best.name} {best.branch or ''}"))
    return Cafe(
        key=f"{' '.join(tokens)}|{area}",
        name=best.name,
        branch=best.branch,
        area=area,
        district=_first(r.district for r in group),
        address=_first(r.address for r in group),
        phone=_first(r.phone for r in group),
        website_url=_first(r.website_url for r in group),
        booking_url=_first(r.booking_url for r in group),
        source_urls=_distinct(r.source_url for r in group),
    )


def _theme_groups(records: list[_ThemeRecord]) -> list[list[_ThemeRecord]]:
    """Records of the same theme, each group best record first, groups in file order.

    A source lists a cafe's theme once, so one group never takes two records of one source from
    one cafe record; strong matches are taken before weak ones, better-ranked records first.
    """
    pairs = sorted(
        (-strength, a.rank, b.rank, i, j)
        for i, a in enumerate(records)
        for j, b in enumerate(records[i + 1 :], start=i + 1)
        if a.origin != b.origin and (strength := a.keys.strength_of_match(b.keys))
    )
    group_of = {i: {i} for i in range(len(records))}
    for *_, i, j in pairs:
        merged = group_of[i] | group_of[j]
        origins = [records[k].origin for k in merged]
        if group_of[i] is group_of[j] or len(origins) != len(set(origins)):
            continue
        for k in merged:
            group_of[k] = merged
    seen: set[int] = set()
    groups: list[list[_ThemeRecord]] = []
    for i in sorted(range(len(records)), key=lambda k: records[k].order):
        if i in seen:
            continue
        seen |= group_of[i]
        groups.append(sorted((records[k] for k in group_of[i]), key=lambda r: r.rank))
    return groups


def _merge_themes(cafe: Cafe, group: list[_ThemeRecord]) -> Theme:
    best = group[0]
    difficulty = _first(r.difficulty for r in group)
    genres = _distinct(g for r in group for g in r.genres)
    return Theme(
        key=f"{cafe.key}/{' '.join(_TOKEN.findall(_normalize(best.name)))}",
        cafe_key=cafe.key,
        name=best.name,
        other_names=_distinct(r.name for r in group[1:] if r.name != best.name),
        genres=genres,
        min_players=_first(r.min_players for r in group),
        max_players=_first(r.max_players for r in group),
        difficulty=difficulty,
        difficulty_label=None if difficulty is None else vocab.difficulty_label(difficulty),
        activity=_first(r.activity for r in group),
        price_per_person=_first(r.price_per_person for r in group),
        price_tiers=next((r.price_tiers for r in group if r.price_tiers), ()),
        duration_minutes=_first(r.duration_minutes for r in group),
        booking_url=_first(r.booking_url for r in group),
        image_url=_first(r.image_url for r in group),
        sources=_distinct(r.source for r in group),
        source_urls=_distinct(r.source_url for r in group),
    )


def _disambiguate_keys(themes: list[Theme]) -> None:
    """Two distinct themes of one cafe with one name (a listing's repeat) get "#2", "#3" keys."""
    seen: Counter[str] = Counter()
    for index, theme in enumerate(themes):
        seen[theme.key] += 1
        if seen[theme.key] > 1:
            themes[index] = replace(theme, key=f"{theme.key}#{seen[theme.key]}")


def _first(values: Iterable[_T | None]) -> _T | None:
    return next((v for v in values if v is not None), None)


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))
