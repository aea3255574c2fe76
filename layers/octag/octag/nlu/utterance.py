"""A message prepared once for every extractor: a compact form that ignores spacing and punctuation,
kiwi's morphemes placed on it, and the spans the user quoted.

Users write `혜화역근처`, `혜화역 근처` and `"혜화역" 근처` for the same thing, so lexicon words are
looked up in the compact form (NFKC, lower case, letters and digits only). Short words must also
start and end on morpheme boundaries there, so `이대` is not read in `이대로` nor `비` in `비싼`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from octag.search.tokenizer import kiwi

_V = TypeVar("_V")

# "2-3명", "2 ~ 3명": a range of counts survives compaction as "2~3".
_NUMBER_RANGE = re.compile(r"(\d)\s*[-–~]\s*(\d)")
_QUOTED = re.compile(
    r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”|‘([^’]+)’|「([^」]+)」|『([^』]+)』|<([^>]+)>|《([^》]+)》"
)
# kiwi gives a word outside its dictionary (most brand-like names) one of its first few morpheme ids.
UNKNOWN_MORPHEME_IDS = 16
# Words of at most this many characters must sit on morpheme boundaries to count.
SHORT_WORD = 3


def compact(text: str) -> str:
    """NFKC, lower case, only letters, digits and `~`: the form names and messages are compared in."""
    text = _NUMBER_RANGE.sub(r"\1~\2", unicodedata.normalize("NFKC", text)).lower()
    return "".join(ch for ch in text if ch.isalnum() or ch == "~")


@dataclass(frozen=True)
class Morpheme:
    form: str
    tag: str
    start: int  # offsets in the compact text
    end: int
    known: bool = True  # in kiwi's dictionary


@dataclass(frozen=True)
class Hit(Generic[_V]):
    start: int
    end: int
    key: str
    value: _V


@dataclass
class Utterance:
    text: str  # NFKC-normalized
    compact: str
    morphemes: list[Morpheme]
    quoted: list[str]  # compact forms of the quoted spans
    masked: set[int] = field(default_factory=set)  # compact offsets read as a theme name or quoted
    cafe_masked: set[int] = field(default_factory=set)  # ... read as a cafe name (may name an area)
    _starts: set[int] = field(default_factory=set)
    _ends: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, message: str) -> Utterance:
        text = _NUMBER_RANGE.sub(r"\1~\2", unicodedata.normalize("NFKC", message))
        kept = [i for i, ch in enumerate(text) if ch.isalnum() or ch == "~"]
        position = {original: index for index, original in enumerate(kept)}
        compact_text = "".join(text[i] for i in kept).lower()
        morphemes: list[Morpheme] = []
        for token in kiwi().tokenize(text):
            offsets = [position[i] for i in range(token.start, token.start + token.len) if i in position]
            if offsets:
                known = token.id > UNKNOWN_MORPHEME_IDS
                morphemes.append(Morpheme(token.form.lower(), token.tag, offsets[0], offsets[-1] + 1, known))
        quoted = [compact(next(g for g in m.groups() if g)) for m in _QUOTED.finditer(text)]
        utterance = cls(text, compact_text, morphemes, [q for q in quoted if q])
        utterance._starts = {m.start for m in morphemes} | {0}
        utterance._ends = {m.end for m in morphemes} | {len(compact_text)}
        return utterance

    def on_boundaries(self, start: int, end: int, suffixes: Iterable[str] = ()) -> bool:
        """True when [start, end) starts on a morpheme and ends on one (or before one of `suffixes`)."""
        if start not in self._starts:
            return False
        return end in self._ends or any(self.compact.startswith(s, end) for s in suffixes)

    def starts_morpheme(self, at: int, tags: Iterable[str] = ()) -> bool:
        """True when a morpheme (of one of `tags`, if given) starts at `at`."""
        tags = tuple(tags)
        return any(m.start == at and (not tags or m.tag in tags) for m in self.morphemes)

    def is_masked(self, start: int, end: int, *, cafes: bool = True) -> bool:
        return any(i in self.masked or (cafes and i in self.cafe_masked) for i in range(start, end))

    def scan(
        self, lexicon: Mapping[str, _V], suffixes: Iterable[str] = (), *, inside_cafes: bool = False
    ) -> list[Hit[_V]]:
        """Longest non-overlapping lexicon words in the compact text, outside masked spans.

        A word of up to `SHORT_WORD` characters counts only on morpheme boundaries (`suffixes` may
        follow it instead, e.g. `역` after `혜화`).
        """
        suffixes = tuple(suffixes)
        longest = max(map(len, lexicon), default=0)
        hits: list[Hit[_V]] = []
        i, n = 0, len(self.compact)
        while i < n:
            for length in range(min(longest, n - i), 0, -1):
                key = self.compact[i : i + length]
                if key not in lexicon or self.is_masked(i, i + length, cafes=not inside_cafes):
                    continue
                if length <= SHORT_WORD and not self.on_boundaries(i, i + length, suffixes):
                    continue
                hits.append(Hit(i, i + length, key, lexicon[key]))
                i += length - 1
                break
            i += 1
        return hits

    def following(self, end: int, words: Iterable[str], gap: int = 0) -> bool:
        """True when one of `words` starts at `end` (or up to `gap` characters after it)."""
        return any(self.compact.startswith(w, at) for w in words for at in range(end, end + gap + 1))

    def morphemes_between(self, start: int, end: int) -> list[Morpheme]:
        return [m for m in self.morphemes if start <= m.start < end]

    def morphemes_after(self, end: int, count: int) -> list[Morpheme]:
        return [m for m in self.morphemes if m.start >= end][:count]

    def morpheme_before(self, start: int) -> Morpheme | None:
        before = [m for m in self.morphemes if m.end <= start]
        return before[-1] if before else None
