"""Hybrid retrieval over one collection: keyword, vector and their fusion, with catalog filters in SQL.

- Keyword: the query through the ingestion lexeme pipeline (kiwi), domain stopwords dropped, each
  lexeme matching itself and its one-syllable compounds (강남 → 강남역); chunks holding the rarest
  of them found through the GIN-indexed `tsvector` and ranked by BM25 over the collection's lexeme
  statistics (kept by triggers, migration 0006). `ts_rank_cd` over prefix matches, the first
  design, has no idf: it ranked far worse and matched far more rows (bench/retrieval.py).
- Vector: the query embedded by the collection's own embedder, cosine distance on the model's HNSW
  index; with filters, pgvector's iterative index scan keeps reading until enough rows pass them.
- Hybrid: both candidate lists fused, either by weights over normalized scores (0.7 keyword / 0.3
  vector by default; each candidate scored in both modes) or by reciprocal rank fusion. Every hit
  carries its score breakdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from psycopg import Connection, sql
from pydantic import BaseModel, ConfigDict, Field, model_validator

from octag.catalog import vocab
from octag.errors import NotFound
from octag.search.embedders import get_embedder
from octag.search.tokenizer import lexemes

Mode = Literal["hybrid", "keyword", "vector"]
Fusion = Literal["weighted", "rrf"]

# Words that ask for something rather than describe it: they match nearly every catalog document.
STOPWORDS = frozenset(
    {
        "추천", "방탈출", "방", "탈출", "테마", "카페", "곳", "데", "거", "것", "하", "있", "되", "알려주", "주",
        "해주", "찾", "좋", "싶", "어디", "뭐", "무엇", "좀", "수", "나", "저", "제", "우리", "요즘",
    }
)  # fmt: skip
RRF_K = 60  # the constant of Cormack et al.; damps the head of each list
# Term-frequency saturation and length normalization: Anserini's defaults for passages (chunks are
# passages); on KorQuAD they beat Lucene's 1.2 / 0.75 (MRR@10 0.935 vs 0.931).
BM25_K1, BM25_B = 0.9, 0.4
# Candidates come from the query's rarest lexemes, as many as fit this many chunks in all (at least
# the rarest one); the commoner lexemes still score them. It bounds the rows BM25 scores on a large
# collection, and costs little: a chunk holding only common words would rank low anyway.
KEYWORD_CANDIDATE_BUDGET = 500
HNSW_EF_SEARCH = 200  # HNSW candidate list (pgvector's default is 40): recall@10 >= 0.95 at 100k chunks
_LEXEMES_PER_TERM = 50  # a term and its compounds, in lexeme order (the term itself first)
_CANDIDATES_PER_K = 4  # each mode proposes this many candidates per requested hit before fusion
_MIN_CANDIDATES = 40


class CatalogFilters(BaseModel):
    """Structured filters over document metadata (the escape-room catalog's fields)."""

    model_config = ConfigDict(extra="forbid")

    area: list[str] | None = Field(
        None, max_length=20, description="Areas or their synonyms (홍대입구 → 홍대)"
    )
    genres: list[str] | None = Field(
        None, max_length=20, description="Any of these genres, synonyms included"
    )
    party_size: int | None = Field(None, ge=1, le=100, description="A party that fits min ≤ N ≤ max players")
    difficulty: list[vocab.DifficultyLabel] | None = Field(None, max_length=3)
    min_price: int | None = Field(None, ge=0)
    max_price: int | None = Field(None, ge=0)
    min_duration: int | None = Field(None, ge=0)
    max_duration: int | None = Field(None, ge=0)

    def is_empty(self) -> bool:
        return not any(value not in (None, []) for value in self.model_dump().values())


class SearchQuery(BaseModel):
    """One search: the body of `POST /api/rag/search` and the options of `octag search`."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=2000)
    collection: str = Field(min_length=1, max_length=63)
    k: int = Field(10, ge=1, le=100)
    mode: Mode = "hybrid"
    fusion: Fusion = "weighted"
    keyword_weight: float = Field(0.7, ge=0, le=1)
    vector_weight: float = Field(0.3, ge=0, le=1)
    filters: CatalogFilters = Field(default_factory=CatalogFilters)

    @model_validator(mode="after")
    def _weights_say_something(self) -> SearchQuery:
        if (
            self.mode == "hybrid"
            and self.fusion == "weighted"
            and self.keyword_weight + self.vector_weight == 0
        ):
            raise ValueError("keyword_weight and vector_weight cannot both be 0")
        return self


class Scores(BaseModel):
    # Weighted hybrid scores every candidate in both modes (BM25 0: none of the query's lexemes);
    # otherwise a mode's score is None for a chunk that mode did not propose.
    keyword: float | None  # BM25
    vector: float | None  # cosine similarity
    fused: float


class Hit(BaseModel):
    id: str  # the source document id
    chunk_id: int
    score: float
    text: str
    title: str | None
    metadata: dict[str, Any]
    scores: Scores


@dataclass(frozen=True)
class _Candidate:
    chunk_id: int
    score: float


def keyword_terms(text: str) -> list[str]:
    """The query's lexemes (the ingestion pipeline's), stopwords dropped, each once, in order."""
    return list(dict.fromkeys(t for t in lexemes(text) if t not in STOPWORDS))


def search(conn: Connection[Any], query: SearchQuery) -> list[Hit]:
    """The best `query.k` chunks of the collection for the query, within the filters."""
    row = conn.execute(
        "SELECT embedding_model, embedding_dimension FROM collections WHERE name = %s", (query.collection,)
    ).fetchone()
    if row is None:
        raise NotFound(f"No collection named {query.collection!r}.", code="collection_not_found")
    model_id, dimension = row
    depth = query.k if query.mode != "hybrid" else max(query.k * _CANDIDATES_PER_K, _MIN_CANDIDATES)
    where, params = _filter_sql(query.filters)
    params["collection"] = query.collection

    keyword: list[_Candidate] = []
    vector: list[_Candidate] = []
    embedding: list[float] = []
    plan = keyword_plan(conn, query.collection, query.query) if query.mode != "vector" else None
    if plan is not None:
        keyword = _keyword_candidates(conn, plan, where, params, depth)
    if query.mode != "keyword":
        embedding = list(query_embedding(model_id, query.query))
        vector = _vector_candidates(conn, embedding, model_id, dimension, where, params, depth)
    if query.mode == "hybrid" and query.fusion == "weighted":
        # A chunk one mode proposed gets its real score in the other too: fused as 0 there, a strong
        # keyword match just outside the nearest vectors would lose to weaker chunks both proposed.
        keyword += _keyword_scores(conn, plan, _unscored(vector, keyword))
        vector += _vector_scores(conn, embedding, dimension, _unscored(keyword, vector))

    fused = _fuse(query, keyword, vector)[: query.k]
    return _hits(conn, fused, {c.chunk_id: c.score for c in keyword}, {c.chunk_id: c.score for c in vector})


@lru_cache(maxsize=1024)
def query_embedding(model_id: str, text: str) -> tuple[float, ...]:
    """A query's vector, remembered: a relaxed recommendation searches the same text again."""
    return tuple(get_embedder(model_id).embed_query(text).tolist())


def _filter_sql(filters: CatalogFilters) -> tuple[sql.Composable, dict[str, Any]]:
    """Conditions on the document's metadata (`d`), AND-ed; unknown numbers never fail a range."""
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if filters.area:
        params["areas"] = [vocab.canonical_area(a) or a.strip() for a in filters.area]
        conditions.append(
            sql.SQL("(d.metadata->>'area' = ANY(%(areas)s) OR d.metadata->>'district' = ANY(%(areas)s))")
        )
    if filters.genres:
        params["genres"] = [vocab.canonical_genre(g) or g.strip() for g in filters.genres]
        conditions.append(sql.SQL("d.metadata->'genres' ?| %(genres)s"))
    if filters.party_size is not None:
        params["party"] = filters.party_size
        conditions.append(
            sql.SQL(
                "coalesce((d.metadata->>'min_players')::int, 1) <= %(party)s"
                " AND coalesce((d.metadata->>'max_players')::int, %(party)s) >= %(party)s"
            )
        )
    if filters.difficulty:
        params["difficulty"] = list(filters.difficulty)
        conditions.append(sql.SQL("d.metadata->>'difficulty' = ANY(%(difficulty)s)"))
    for name, field, operator in (
        ("min_price", "price_per_person", ">="),
        ("max_price", "price_per_person", "<="),
        ("min_duration", "duration_minutes", ">="),
        ("max_duration", "duration_minutes", "<="),
    ):
        value = getattr(filters, name)
        if value is not None:
            params[name] = value
            conditions.append(
                sql.SQL("(d.metadata->>{})::int {} {}").format(
                    sql.Literal(field), sql.SQL(operator), sql.Placeholder(name)
                )
            )
    where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true")
    return where, params


@dataclass(frozen=True)
class KeywordPlan:
    """How a query ranks by keyword in one collection: each query term's lexemes in the collection
    (itself, and compounds one character longer: 강남 → 강남역) with their BM25 idf, and the rarest
    ones, whose chunks are the candidates (as a `to_tsquery('simple', ...)` text)."""

    terms: list[str]  # parallel lists, a row per (query term, collection lexeme)
    lexemes: list[str]
    idfs: list[float]
    selecting: str
    average_length: float  # distinct lexemes per chunk


def keyword_plan(conn: Connection[Any], collection: str, text: str) -> KeywordPlan | None:
    """None when no lexeme of the query occurs in the collection."""
    # The terms as the chunks' tsvector parser sees them (kiwi keeps some names whole with their
    # spaces, 마리 앙투아네트; `to_tsvector` splits and lower-cases those), and per term the lexemes
    # starting with it, at most one character longer: a range of the primary key (C collation).
    rows = conn.execute(
        """SELECT c.chunk_count, c.lexeme_count, t.term, l.lexeme, l.chunks
             FROM collections c,
                  unnest(tsvector_to_array(to_tsvector('simple', %(text)s))) t (term),
                  LATERAL (SELECT lexeme, chunks FROM collection_lexemes
                            WHERE collection = c.name
                              AND lexeme >= t.term COLLATE "C" AND lexeme < (t.term || chr(1114111)) COLLATE "C"
                              AND char_length(lexeme) <= char_length(t.term) + (char_length(t.term) >= 2)::int
                            LIMIT %(per_term)s) l
            WHERE c.name = %(collection)s""",
        {"text": " ".join(keyword_terms(text)), "collection": collection, "per_term": _LEXEMES_PER_TERM},
    ).fetchall()
    if not rows:
        return None
    chunks, lexemes_total = rows[0][0], rows[0][1]
    found = [(term, lexeme, n) for _, _, term, lexeme, n in rows]
    selecting: list[str] = []
    budget = KEYWORD_CANDIDATE_BUDGET
    for lexeme, n in sorted({lexeme: n for _, lexeme, n in found}.items(), key=lambda item: item[1]):
        if selecting and n > budget:
            break
        selecting.append(lexeme)
        budget -= n
    return KeywordPlan(
        terms=[term for term, _, _ in found],
        lexemes=[lexeme for _, lexeme, _ in found],
        idfs=[math.log(1 + (chunks - n + 0.5) / (n + 0.5)) for _, _, n in found],  # Lucene's, always > 0
        selecting=" | ".join(_quoted(lexeme) for lexeme in selecting),
        average_length=lexemes_total / chunks,
    )


def _keyword_candidates(
    conn: Connection[Any], plan: KeywordPlan, where: sql.Composable, params: dict[str, Any], depth: int
) -> list[_Candidate]:
    """The best `depth` chunks holding a selecting lexeme, within the filters."""
    match = sql.SQL("c.tsv @@ to_tsquery('simple', %(tsquery)s) AND c.collection = %(collection)s AND {}")
    return _bm25(conn, plan, match.format(where), {**params, "tsquery": plan.selecting}, depth)


def _keyword_scores(
    conn: Connection[Any], plan: KeywordPlan | None, chunk_ids: list[int]
) -> list[_Candidate]:
    """The BM25 of these chunks (0 for one holding none of the query's lexemes)."""
    if not chunk_ids:
        return []
    found = {}
    if plan is not None:
        found = {
            c.chunk_id: c.score
            for c in _bm25(conn, plan, sql.SQL("c.id = ANY(%(ids)s)"), {"ids": chunk_ids}, len(chunk_ids))
        }
    return [_Candidate(chunk_id, found.get(chunk_id, 0.0)) for chunk_id in chunk_ids]


def _bm25(
    conn: Connection[Any], plan: KeywordPlan, match: sql.Composable, params: dict[str, Any], limit: int
) -> list[_Candidate]:
    # A query term counts its best lexeme. `setweight` marks the plan's lexemes so `ts_filter` keeps
    # only them, with their positions: their frequencies in the chunk.
    statement = sql.SQL(
        """SELECT id, sum(best) AS score FROM (
               SELECT c.id, t.term, max(t.idf * u.tf * (%(k1)s + 1)
                      / (u.tf + %(k1)s * (1 - %(b)s + %(b)s * length(c.tsv) / %(avgdl)s))) AS best
                 FROM chunks c JOIN documents d ON d.id = c.document_id,
                      LATERAL (SELECT lexeme, cardinality(positions) AS tf
                                 FROM unnest(ts_filter(setweight(c.tsv, 'A', %(lexemes)s), '{{a}}'))) u,
                      unnest(%(terms)s::text[], %(lexemes)s::text[], %(idfs)s::float8[]) t (term, lexeme, idf)
                WHERE {match} AND t.lexeme = u.lexeme
                GROUP BY c.id, t.term) per_term
            GROUP BY id ORDER BY score DESC, id LIMIT %(limit)s"""
    ).format(match=match)
    rows = conn.execute(
        statement,
        {
            **params,
            "terms": plan.terms,
            "lexemes": plan.lexemes,
            "idfs": plan.idfs,
            "k1": BM25_K1,
            "b": BM25_B,
            "avgdl": plan.average_length,
            "limit": limit,
        },
    ).fetchall()
    return [_Candidate(chunk_id, float(score)) for chunk_id, score in rows]


def _quoted(term: str) -> str:
    """A lexeme as a `to_tsquery` operand: never an operator, whatever its characters."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _vector_candidates(
    conn: Connection[Any],
    embedding: list[float],
    model_id: str,
    dimension: int,
    where: sql.Composable,
    params: dict[str, Any],
    depth: int,
) -> list[_Candidate]:
    # The expression and the model literal must match the model's partial HNSW index
    # (octag.etl.store.ensure_vector_index) for the planner to use it.
    vector_type = sql.SQL("vector({})").format(sql.Literal(dimension))
    conn.execute(
        sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(max(HNSW_EF_SEARCH, min(depth, 1000))))
    )
    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
    statement = sql.SQL(
        """SELECT c.id, c.embedding::{type} <=> %(embedding)s::{type} AS distance
             FROM chunks c JOIN documents d ON d.id = c.document_id
            WHERE c.embedding_model = {model} AND c.collection = %(collection)s AND {where}
            ORDER BY c.embedding::{type} <=> %(embedding)s::{type} LIMIT %(depth)s"""
    ).format(type=vector_type, model=sql.Literal(model_id), where=where)
    rows = conn.execute(
        statement, {**params, "embedding": _vector_literal(embedding), "depth": depth}
    ).fetchall()
    # relaxed_order may return rows slightly out of order: sort them for real.
    return sorted(
        (_Candidate(chunk_id, 1.0 - float(distance)) for chunk_id, distance in rows), key=_best_first
    )


def _vector_scores(
    conn: Connection[Any], embedding: list[float], dimension: int, chunk_ids: list[int]
) -> list[_Candidate]:
    """The cosine similarity of these chunks to the query."""
    if not chunk_ids:
        return []
    vector_type = sql.SQL("vector({})").format(sql.Literal(dimension))
    rows = conn.execute(
        sql.SQL("SELECT id, 1 - (embedding::{type} <=> %s::{type}) FROM chunks WHERE id = ANY(%s)").format(
            type=vector_type
        ),
        (_vector_literal(embedding), chunk_ids),
    ).fetchall()
    return [_Candidate(chunk_id, float(similarity)) for chunk_id, similarity in rows]


def _vector_literal(embedding: list[float]) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in embedding) + "]"


def _unscored(proposed: list[_Candidate], scored: list[_Candidate]) -> list[int]:
    """The chunks in `proposed` that `scored` has no score for."""
    have = {c.chunk_id for c in scored}
    return [c.chunk_id for c in proposed if c.chunk_id not in have]


def _best_first(candidate: _Candidate) -> tuple[float, int]:
    return (-candidate.score, candidate.chunk_id)


def _fuse(query: SearchQuery, keyword: list[_Candidate], vector: list[_Candidate]) -> list[_Candidate]:
    if query.mode == "keyword":
        return keyword
    if query.mode == "vector":
        return vector
    fused: dict[int, float] = {}
    if query.fusion == "rrf":
        for ranked in (keyword, vector):
            for rank, candidate in enumerate(ranked, start=1):
                fused[candidate.chunk_id] = fused.get(candidate.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    else:
        # The floor of each score: BM25 0, cosine similarity -1.
        lists = ((keyword, 0.0, query.keyword_weight), (vector, -1.0, query.vector_weight))
        for ranked, floor, weight in lists:
            for chunk_id, normalized in _normalized(ranked, floor).items():
                fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * normalized
    return sorted((_Candidate(chunk_id, score) for chunk_id, score in fused.items()), key=_best_first)


def _normalized(ranked: list[_Candidate], floor: float) -> dict[int, float]:
    """Scores onto [0, 1] from the score's floor to the list's best ("theoretical min-max", Bruch et
    al. 2023). The list's own minimum would map its last candidate to 0, no better than a chunk the
    mode did not propose. A list whose best is the floor is all 1."""
    if not ranked:
        return {}
    spread = max(c.score for c in ranked) - floor
    return {c.chunk_id: max(c.score - floor, 0.0) / spread if spread > 0 else 1.0 for c in ranked}


def _hits(
    conn: Connection[Any], ranked: list[_Candidate], keyword: dict[int, float], vector: dict[int, float]
) -> list[Hit]:
    if not ranked:
        return []
    rows = conn.execute(
        """SELECT c.id, d.source_id, c.text, d.title, d.metadata || c.metadata
             FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY(%s)""",
        ([c.chunk_id for c in ranked],),
    ).fetchall()
    by_id = {row[0]: row for row in rows}
    hits = []
    for candidate in ranked:
        if candidate.chunk_id not in by_id:  # replaced by a concurrent load since the candidate query
            continue
        chunk_id, source_id, text, title, metadata = by_id[candidate.chunk_id]
        scores = Scores(keyword=keyword.get(chunk_id), vector=vector.get(chunk_id), fused=candidate.score)
        hits.append(
            Hit(id=source_id, chunk_id=chunk_id, score=candidate.score, text=text, title=title,
                metadata=metadata, scores=scores)
        )  # fmt: skip
    return hits
