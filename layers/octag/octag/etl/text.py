"""Text cleanup and structure-aware chunking: headings, paragraphs, sentences, then a hard cut.

A chunk is always a verbatim slice of the cleaned text, at most `max_chars` long. Every step is
linear in the text's length, so a multi-megabyte single line neither hangs nor balloons.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from octag.search.tokenizer import sentence_spans

Span = tuple[int, int]

_NEWLINES = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# Control characters (NUL, which PostgreSQL refuses, among them), lone surrogates (unencodable),
# and invisible debris from the web: soft hyphen, zero-width space, word joiner, BOM.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u00ad\u200b\u2060\ufeff\ud800-\udfff]")
_UNICODE_SPACES = "\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_SPACES = re.compile(f"[ {_UNICODE_SPACES}]{{2,}}|[{_UNICODE_SPACES}]")  # a lone " " is left alone: faster
_BLANK_LINES = re.compile(r"\n{3,}")

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"[.!?。！？…][\"'”’)\]]*\s")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*))?$")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_MAX_HEADING_CHARS = 200  # a heading is repeated in every chunk's metadata: keep a runaway line out
# kiwi splits ~60 KB/s and slows down superlinearly on long runs without spaces: longer lines
# (minified or extracted blobs) are cut at punctuation and whitespace instead.
_SENTENCE_SPLIT_MAX_CHARS = 8192


@dataclass(frozen=True)
class Chunk:
    ordinal: int
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)


def clean_text(text: str) -> str:
    """NFC (not NFKC: it would rewrite compatibility jamo like `ㅋ`), no control characters
    but newlines and tabs, single spaces, stripped lines, at most one blank line in a row."""
    text = _INVISIBLE.sub("", _NEWLINES.sub("\n", text))
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    text = "\n".join(line.strip(" \t") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def chunk_text(
    text: str, *, max_chars: int = 800, overlap_chars: int = 120, markdown: bool = False
) -> list[Chunk]:
    """Chunks of at most `max_chars`, split at Markdown headings (if `markdown`), then paragraphs,
    then sentences, then a hard cut; each chunk after the first of a section starts with the tail
    (≤ `overlap_chars`, on a sentence or word boundary where there is one) of the one before."""
    if max_chars < 1 or not 0 <= overlap_chars < max_chars:
        raise ValueError("chunk_text needs max_chars >= 1 and 0 <= overlap_chars < max_chars")
    sections = [
        (
            headings,
            [unit for paragraph in _paragraphs(text, span) for unit in _units(text, paragraph, max_chars)],
        )
        for span, headings in _sections(text, markdown)
    ]
    # Sentence splitting for the whole document in one kiwi batch.
    windows = [unit for _, units in sections for unit in units if _needs_sentences(unit, max_chars)]
    sentences = dict(zip(windows, sentence_spans([text[a:b] for a, b in windows]), strict=True))

    hard_cut_chars = max_chars - overlap_chars  # a cut piece leaves room for the overlap before it
    chunks: list[Chunk] = []
    for headings, units in sections:
        pieces: list[Span] = []
        for a, b in units:
            spans = [(a + s, a + e) for s, e in sentences[(a, b)]] if (a, b) in sentences else [(a, b)]
            for span in spans:
                pieces.extend(_hard_cut(text, span, hard_cut_chars) if _len(span) > max_chars else [span])
        first = len(chunks)  # taken once: extend() grows the list while it reads the generator
        chunks.extend(
            Chunk(first + i, text[a:b], {"headings": list(headings)} if headings else {})
            for i, (a, b) in enumerate(_pack(text, pieces, max_chars, overlap_chars))
        )
    return chunks


def _len(span: Span) -> int:
    return span[1] - span[0]


def _strip(text: str, a: int, b: int) -> Span | None:
    """`(a, b)` without surrounding whitespace; None if nothing else is left."""
    segment = text[a:b]
    stripped = segment.strip()
    if not stripped:
        return None
    start = a + len(segment) - len(segment.lstrip())
    return start, start + len(stripped)


def _sections(text: str, markdown: bool) -> list[tuple[Span, list[str]]]:
    """The text's sections with their heading paths; a heading with no body joins the next section."""
    if not markdown:
        return [((0, len(text)), [])]
    sections: list[tuple[Span, list[str]]] = []
    path: list[tuple[int, str]] = []  # (level, title) of the enclosing headings
    start, first_body = 0, None  # the current section's start and its first body line's
    fence = ""  # the open code fence, inside which nothing is a heading
    previous: tuple[int, str] | None = None  # the plain text line above: a setext heading's title
    offset = 0
    for line in text.split("\n"):
        line_start, offset = offset, offset + len(line) + 1
        heading: tuple[int, str, int] | None = None  # (level, title, where its section starts)
        plain = False
        if fence:
            fence = "" if line.lstrip().startswith(fence) else fence
        elif opening := _FENCE.match(line):
            fence = opening[1][0] * 3
        elif atx := _ATX_HEADING.match(line):
            heading = len(atx[1]), _heading_title(atx[2] or ""), line_start
        elif previous and (underline := _SETEXT_UNDERLINE.match(line)):
            heading = (1 if underline[1][0] == "=" else 2), previous[1].strip(), previous[0]
        else:
            plain = bool(line.strip())
        if heading:
            level, title, heading_start = heading
            if first_body is not None and first_body < heading_start:
                sections.append(((start, heading_start), [t for _, t in path]))
                start = heading_start
            first_body = None
            path = [*(p for p in path if p[0] < level), (level, title[:_MAX_HEADING_CHARS])]
        elif first_body is None and line.strip():
            first_body = line_start
        previous = (line_start, line) if plain else None
    sections.append(((start, len(text)), [t for _, t in path]))
    return sections


def _heading_title(raw: str) -> str:
    title = raw.strip()
    closed = title.rstrip("#")  # an optional closing sequence: `## Title ##`
    if closed != title and (not closed or closed[-1] in " \t"):
        title = closed.rstrip()
    return title


def _paragraphs(text: str, section: Span) -> Iterator[Span]:
    start = section[0]
    for gap in _PARAGRAPH_BREAK.finditer(text, section[0], section[1]):
        if span := _strip(text, start, gap.start()):
            yield span
        start = gap.end()
    if span := _strip(text, start, section[1]):
        yield span


def _units(text: str, paragraph: Span, max_chars: int) -> Iterator[Span]:
    """The paragraph if it fits; else runs of whole lines small enough for kiwi's sentence splitter
    (a longer line on its own)."""
    a, b = paragraph
    if b - a <= max_chars:
        yield paragraph
        return
    window_start = line_start = a
    while line_start < b:
        line_end = text.find("\n", line_start, b)
        line_end = b if line_end < 0 else line_end
        if line_end - window_start > _SENTENCE_SPLIT_MAX_CHARS and line_start > window_start:
            yield from _nonblank(text, window_start, line_start)
            window_start = line_start
        line_start = line_end + 1
    yield from _nonblank(text, window_start, b)


def _nonblank(text: str, a: int, b: int) -> Iterator[Span]:
    if span := _strip(text, a, b):
        yield span


def _needs_sentences(unit: Span, max_chars: int) -> bool:
    return max_chars < _len(unit) <= _SENTENCE_SPLIT_MAX_CHARS


def _hard_cut(text: str, span: Span, limit: int) -> Iterator[Span]:
    """Pieces of at most `limit`, cut after the last sentence end, else the last space, in the back
    half of each window; else exactly at `limit`."""
    a, b = span
    while b - a > limit:
        window_end, back_half = a + limit, a + (limit + 1) // 2
        sentence_ends = list(_SENTENCE_END.finditer(text, back_half, window_end + 1))
        if sentence_ends:
            end = sentence_ends[-1].end() - 1  # before the whitespace that follows the sentence
        else:
            end = max(text.rfind(c, back_half, window_end + 1) for c in " \n\t")
        end = window_end if end <= a else end
        if piece := _strip(text, a, end):
            yield piece
        a = end
        while a < b and text[a].isspace():
            a += 1
    if piece := _strip(text, a, b):
        yield piece


def _pack(text: str, pieces: list[Span], max_chars: int, overlap_chars: int) -> Iterator[Span]:
    """Consecutive pieces merged up to `max_chars`, each chunk after the first starting with an overlap."""
    if not pieces:
        return
    starts = [a for a, _ in pieces]
    start, end = pieces[0]
    for a, b in pieces[1:]:
        if b - start <= max_chars:
            end = b
            continue
        yield start, end
        lowest = max(start + 1, end - overlap_chars, b - max_chars)
        start, end = _overlap_start(text, starts, lowest, end, fallback=a), b
    yield start, end


def _overlap_start(text: str, starts: list[int], lowest: int, end: int, fallback: int) -> int:
    """Where the overlap before the next chunk begins: the earliest sentence start in
    `[lowest, end)`, else the earliest word start, else `lowest` itself; `fallback` if none fits."""
    if lowest >= end:
        return fallback
    candidates = []
    if (i := bisect_left(starts, lowest)) < len(starts) and starts[i] < end:
        candidates.append(starts[i])
    if sentence_end := _SENTENCE_END.search(text, lowest, end):
        candidates.append(sentence_end.end())
    if not candidates and (space := _first_space(text, lowest, end)) is not None:
        candidates.append(space + 1)
    position = min(candidates, default=lowest)
    while position < end and text[position].isspace():
        position += 1
    return position if position < end else fallback


def _first_space(text: str, a: int, b: int) -> int | None:
    found = [i for i in (text.find(c, a, b) for c in " \n\t") if i >= 0]
    return min(found, default=None)
