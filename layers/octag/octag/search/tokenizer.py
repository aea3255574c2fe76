"""Korean tokenization with kiwi: lexemes for `to_tsvector('simple', ...)` and sentence boundaries.

The same lexemes are produced at ingestion and at query time, so `강남에서` in a document and
`강남` in a query meet as `강남`. One `Kiwi` serves the whole process: it loads in ~2 s and holds
~500 MB, so it is built on first use and shared by every thread (its analysis is thread-safe).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi, Token

# Nouns, numerals, foreign words, numbers, hanja, roots, verb and adjective stems (with kiwi's
# regular `-R` / irregular `-I` variants: `추웠다` is `춥/VA-I`). Particles and endings are dropped.
LEXEME_TAGS = frozenset(
    {"NNG", "NNP", "NR", "SL", "SN", "SH", "XR", "VV", "VA", "VV-R", "VV-I", "VA-R", "VA-I"}
)

_lock = threading.Lock()
_kiwi: Kiwi | None = None


def _load_kiwi() -> Kiwi:
    from kiwipiepy import Kiwi

    loaded = Kiwi()
    loaded.tokenize("")  # kiwi finishes building on its first analysis: do it here, under the lock
    return loaded


def kiwi() -> Kiwi:
    """The process's one Kiwi, loaded on first use."""
    global _kiwi
    with _lock:
        if _kiwi is None:
            _kiwi = _load_kiwi()
        return _kiwi


def _lexemes(tokens: Iterable[Token]) -> list[str]:
    return [token.form.lower() for token in tokens if token.tag in LEXEME_TAGS]


def lexemes(text: str) -> list[str]:
    """Content lexemes of `text` in order, lower-cased (verb and adjective stems as kiwi gives them)."""
    return _lexemes(kiwi().tokenize(text))


def lexeme_text(text: str) -> str:
    """`lexemes(text)` joined by spaces: what `to_tsvector('simple', ...)` is fed."""
    return " ".join(lexemes(text))


def lexeme_texts(texts: Sequence[str]) -> list[str]:
    """`lexeme_text` of each text, analysed as one batch on kiwi's worker threads."""
    if not texts:
        return []
    return [" ".join(_lexemes(tokens)) for tokens in kiwi().tokenize(texts)]


def sentence_spans(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """For each text, its sentences as `(start, end)` offsets into it (one batch on kiwi's threads)."""
    if not texts:
        return []
    return [
        [(sentence.start, sentence.end) for sentence in sentences]
        for sentences in kiwi().split_into_sents(texts, return_sub_sents=False)
    ]


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (Korean, English or mixed), without surrounding whitespace."""
    return [text[start:end] for start, end in sentence_spans([text])[0]]
