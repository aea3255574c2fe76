"""Theme and cafe names of the catalog, indexed by every spelling a user may type.

Built from (theme name, other names, cafe name) rows: the cleaned seed catalog in tests and
benchmarks, the `catalog_themes` / `catalog_cafes` tables in a running system. Besides each name
as written, a name is reachable by its title without annotations or subtitle (`셜록홈즈 - 살인누명`
→ `셜록홈즈살인누명`, `셜록홈즈`) and by either script where it gives both (`FOREST (포레스트)`).
A spelling shared by two different names belongs to neither, unless one of them is written so.

Names that are also everyday words (`선물`, `오늘, 나는`, `둘이라면`) or that name a genre or an area
(`미스터리`) would turn ordinary messages into questions about a theme: those count only when
quoted, or (everyday words) when a word about a theme follows (`선물 테마`, `선물 가격`).
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from octag.catalog import vocab
from octag.catalog.repository import theme_names
from octag.nlu.utterance import UNKNOWN_MORPHEME_IDS, Utterance, compact
from octag.search.tokenizer import LEXEME_TAGS, kiwi

if TYPE_CHECKING:
    from psycopg import Connection

    from octag.catalog.cleaning import Catalog

NameRow = tuple[str, Sequence[str], str]  # (theme name, its other names, its cafe's name)
Kind = Literal["theme", "cafe"]
Guard = Literal["none", "cue", "quote"]

_BRACKETED = re.compile(r"\s*[(\[{]([^)\]}]*)[)\]}]\s*")
_SUBTITLE = re.compile(r"\s+[-–—:]\s*|\s*:\s+|\s*-\s+")
_HANGUL = re.compile(r"[가-힣]")
_LATIN = re.compile(r"[a-z]")
_SCRIPT_RUN = re.compile(r"[a-z][a-z\s'.&]*[a-z]|[가-힣][가-힣\s]*[가-힣]")
_GENERIC_CAFE_WORDS = re.compile(r"방탈출\s*카페|방탈출|카페")
# Words that say the preceding words are a theme's or cafe's name.
NAME_CUES = (
    "테마", "방탈출", "카페", "점", "이라는", "라는", "란", "가격", "얼마", "몇명", "몇분", "몇인",
    "인원", "플레이타임", "플레이시간", "후기", "난이도", "예약", "위치", "어디에있", "어디야", "어디예요", "어딨",
)  # fmt: skip
_PARTICLES = ("은", "는", "이", "가", "의", "을", "를", "도")
# Domain words no theme name may claim without quotes.
_RESERVED = {
    compact(word)
    for vocabulary in (vocab.GENRES, vocab.AREAS)
    for canonical, words in vocabulary.items()
    for word in (canonical, *words)
} | {"방탈출", "탈출", "테마", "카페", "추천", "커플", "데이트", "초보", "입문", "단체", "이스케이프"}
_AREA_WORDS = tuple(compact(w) for area, words in vocab.AREAS.items() for w in (area, *words) if w != "기타")


@dataclass(frozen=True)
class _Spelling:
    name: str
    kind: Kind
    exact: bool
    guard: Guard


@dataclass(frozen=True)
class NameMatch:
    theme: str | None
    cafe: str | None


class CatalogNames:
    """Spellings of theme and cafe names → the catalog's name (see the module docstring)."""

    def __init__(self, spellings: dict[str, list[_Spelling]]) -> None:
        self._index: dict[str, tuple[str | None, str | None, Guard]] = {}
        for key, found in spellings.items():
            resolved = _resolve(found)
            if resolved is not None:
                self._index[key] = resolved
        self._unguarded = [key for key, (_, _, guard) in self._index.items() if guard == "none"]

    @classmethod
    def from_rows(cls, rows: Iterable[NameRow]) -> CatalogNames:
        """Index (theme name, other names, cafe name) rows, e.g. from `clean_catalog` or the database."""
        spellings: dict[str, list[tuple[str, Kind, bool]]] = defaultdict(list)
        cafes: set[str] = set()
        for theme, other_names, cafe in rows:
            for written in (theme, *other_names):
                for key, exact in _theme_spellings(written):
                    spellings[key].append((theme, "theme", exact))
            cafes.add(cafe)
        for cafe in cafes:
            for key, exact in _cafe_spellings(cafe):
                spellings[key].append((cafe, "cafe", exact))
        guards = _guards(list(spellings))
        return cls(
            {key: [_Spelling(n, k, e, guards[key]) for n, k, e in found] for key, found in spellings.items()}
        )

    @classmethod
    def empty(cls) -> CatalogNames:
        return cls({})

    def __len__(self) -> int:
        return len(self._index)

    def find(self, utterance: Utterance) -> NameMatch:
        """The theme and cafe the message names; masks their spans in `utterance`."""
        theme = cafe = None
        for quoted in utterance.quoted:
            found = self._index.get(quoted) or self._closest(quoted)
            if found is not None:
                theme, cafe = theme or found[0], cafe or found[1]
                start = utterance.compact.find(quoted)
                utterance.masked.update(range(start, start + len(quoted)) if start >= 0 else ())
        for hit in utterance.scan(self._index):
            found_theme, found_cafe, guard = hit.value
            if guard == "quote" or (guard == "cue" and not _cue_follows(utterance, hit.end)):
                continue
            span = range(hit.start, hit.end)
            (utterance.masked if found_theme else utterance.cafe_masked).update(span)
            theme, cafe = theme or found_theme, cafe or found_cafe
        if theme is None and cafe is None:
            theme, cafe = self._misspelled(utterance)
        return NameMatch(theme, cafe)

    def _misspelled(self, utterance: Utterance) -> tuple[str | None, str | None]:
        """A word kiwi does not know that is one typo away from a name (`포래스트`)."""
        for morpheme in utterance.morphemes:
            if morpheme.known or len(morpheme.form) < 4 or utterance.is_masked(morpheme.start, morpheme.end):
                continue
            close = difflib.get_close_matches(morpheme.form, self._unguarded, n=1, cutoff=0.75)
            if close:
                utterance.masked.update(range(morpheme.start, morpheme.end))
                found_theme, found_cafe, _ = self._index[close[0]]
                return found_theme, found_cafe
        return None, None

    def _closest(self, quoted: str) -> tuple[str | None, str | None, Guard] | None:
        """A quoted name with a typo: the spelling it is closest to, if it is close."""
        close = difflib.get_close_matches(quoted, list(self._index), n=1, cutoff=0.75)
        return self._index[close[0]] if close and len(quoted) >= 3 else None


def _cue_follows(utterance: Utterance, end: int) -> bool:
    """A word about a theme follows (`선물 테마`), or an area as a cafe's branch (`황금열쇠 강남`)."""
    return utterance.following(end, NAME_CUES + _AREA_WORDS) or any(
        utterance.compact.startswith(p, end) and utterance.following(end + len(p), NAME_CUES)
        for p in _PARTICLES
    )


def _resolve(found: list[_Spelling]) -> tuple[str | None, str | None, Guard] | None:
    """The (theme, cafe) a spelling means: exact spellings beat derived ones; two names mean none."""
    best = {kind: _one_name(found, kind) for kind in ("theme", "cafe")}
    exact = {kind for kind in best if any(s.kind == kind and s.exact for s in found)}
    if exact:
        best = {kind: name if kind in exact else None for kind, name in best.items()}
    if best["theme"] is None and best["cafe"] is None:
        return None
    guard: Guard = "quote" if any(s.guard == "quote" for s in found) else found[0].guard
    if guard == "cue" and not exact:  # an everyday word cut out of a longer name: `호텔`, `경찰`
        guard = "quote"
    return best["theme"], best["cafe"], guard


def _one_name(found: list[_Spelling], kind: Kind) -> str | None:
    of_kind = [s for s in found if s.kind == kind]
    exact = {s.name for s in of_kind if s.exact} or {s.name for s in of_kind}
    return exact.pop() if len(exact) == 1 else None


def _key(text: str) -> str:
    return compact(text).replace("~", "")


def _theme_spellings(name: str) -> list[tuple[str, bool]]:
    found = [(_key(name), True)]
    lowered = name.lower()
    bare = _BRACKETED.sub(" ", lowered).strip()
    found.append((_key(bare), False))
    for inside in _BRACKETED.findall(lowered):
        if bool(_HANGUL.search(inside)) != bool(_HANGUL.search(bare)):  # "FOREST (포레스트)"
            found.append((_key(inside), False))
    title = _SUBTITLE.split(bare)[0]
    found.append((_key(title), False))
    found.extend((_key(half), False) for half in _script_halves(bare))
    return [(key, exact) for key, exact in found if len(key) >= 2 or exact]


def _cafe_spellings(name: str) -> list[tuple[str, bool]]:
    found = _theme_spellings(name)
    bare = _GENERIC_CAFE_WORDS.sub(" ", _BRACKETED.sub(" ", name.lower()))
    words = [w for w in bare.split() if vocab.canonical_area(w) is None]  # "리얼월드 성수" → 리얼월드
    found.append((_key(" ".join(words)), False))
    return [(key, exact) for key, exact in found if len(key) >= 2]


def _script_halves(name: str) -> list[str]:
    """`더 큐브 The Cube` → `더 큐브`, `the cube`: a name written once in each script."""
    runs = [run.strip() for run in _SCRIPT_RUN.findall(name)]
    if len(runs) != 2 or re.sub(r"[\s\d.:,!?'&-]", "", "".join(runs)) != re.sub(r"[\s\d.:,!?'&-]", "", name):
        return []
    latin, hangul = runs if _LATIN.match(runs[0]) else runs[::-1]
    if not (_LATIN.match(latin) and _HANGUL.match(hangul)):
        return []
    ratio = len(hangul.replace(" ", "")) / len(latin.replace(" ", ""))
    return [latin, hangul] if 0.35 <= ratio <= 1.3 else []  # a transliteration, not a subtitle


def _guards(keys: list[str]) -> dict[str, Guard]:
    """How much evidence each spelling needs (see the module docstring)."""
    analyses = kiwi().tokenize(keys) if keys else []
    guards: dict[str, Guard] = {}
    for key, tokens in zip(keys, analyses, strict=True):
        if len(key) <= 1 or key in _RESERVED or (key.isascii() and len(key) <= 3) or key.isdigit():
            guards[key] = "quote"
            continue
        content = [t for t in tokens if t.tag in LEXEME_TAGS]
        everyday = all(t.tag not in ("NNP", "SL", "SH") and t.id > UNKNOWN_MORPHEME_IDS for t in content)
        guards[key] = "cue" if everyday and len(content) <= 2 else "none"
    return guards


def names_from_catalog(catalog: Catalog) -> CatalogNames:
    """The names of a cleaned catalog (`octag.catalog.cleaning.clean_catalog`)."""
    cafes = catalog.cafes_by_key
    return CatalogNames.from_rows((t.name, t.other_names, cafes[t.cafe_key].name) for t in catalog.themes)


def names_from_database(conn: Connection[Any]) -> CatalogNames:
    """The names of the catalog tables."""
    return CatalogNames.from_rows(theme_names(conn))


_lock = threading.Lock()
_shared: CatalogNames | None = None


def shared_names(conn: Connection[Any]) -> CatalogNames:
    """The process's names, read from the database on first use (a Lambda reads them once per cold start)."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = names_from_database(conn)
        return _shared


def forget_shared_names() -> None:
    """Drop the cached names (after the catalog was reloaded)."""
    global _shared
    with _lock:
        _shared = None
