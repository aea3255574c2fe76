"""Retrieval quality and speed: KorQuAD 1.0 dev through our ETL and `search()` in every mode beside
bm25s over the same kiwi lexemes, a weight sweep of the weighted hybrid, and query latency, HNSW
recall and query plans on a synthetic collection of 100k chunks.

Usage:

    .venv/bin/python bench/retrieval.py [--quick] [--questions N] [--synthetic-chunks 100000]
        [--latency-queries 300] [--recall-queries 200] [--show-failures 8] [--skip-korquad]

Runs its own embedded PostgreSQL in a temp dir (Unix socket only), one fresh migrated database per
measurement, dropped after it; nothing is written outside the temp dir. `--quick`: the first 1,000
questions, 20,000 synthetic chunks, 100 latency and 50 recall queries (under ~5 minutes here).

1. KorQuAD 1.0 dev (CC BY-ND 2.0 KR: read unmodified, subset at run time only). Each paragraph is
   one document, id `<title>#<index>`, ingested by a real ETL job (`create_job` + `run_job` over a
   temp JSONL); a paragraph longer than a chunk becomes several chunks of the same document. A hit
   is relevant when its document is the question's paragraph (or one with the very same text: the
   dev set holds 3 duplicate contexts). Each mode asks `search()` for `k` chunks (10, the API's
   default) and the hits are deduplicated to documents in order. The peer is bm25s over the same
   kiwi lexemes (`octag.search.tokenizer.lexemes`, corpus and queries), on the paragraphs and,
   like for like, on our very chunks. Query vectors are computed once with the real offline
   embedder (`embed_query`, timed) and handed to `search()` through a benchmark-local embedder that
   returns them (same vectors, so the same results): queries/s is `search()` alone, the embedding
   cost is printed apart. The weight sweep re-fuses, with `hybrid._fuse` itself, the keyword and
   vector candidate lists `search()` fetched for the default weights (captured as it ran); the
   sweep's row at 0.7/0.3 must reproduce `search()`, which is checked and printed.
2. Synthetic scale (`--synthetic-chunks`, default 100,000): chunks of 2-6 Korean sentences drawn at
   random (seeded) from the KorQuAD paragraphs, in memory only, whose lexemes are the sentences'
   kiwi lexemes joined; loaded through `ensure_collection` and `replace_documents`, so the layout is
   the loader's (the HNSW index is dropped for the bulk load and rebuilt by `ensure_vector_index`).
   Really embedding 100k chunks takes too long here, so the same texts get two kinds of 512-d
   vectors, each in its own database: (a) seeded random unit vectors, queries too (uniform on the
   sphere, no structure: the worst case for an approximate index), and (b) each chunk the
   normalized sum of its sentences' real embeddings, queried with the questions' real embeddings.
   On (a): `search()` latency per mode with the query embedding excluded (precomputed vectors,
   handed over as above; the real embedder's cost is printed apart) and EXPLAIN ANALYZE of the
   statements `search()` issues (through a connection proxy), to show whether the GIN and HNSW
   indexes serve them. On (a), (b) and the KorQuAD collection: HNSW recall@10 of the vector query
   against exact search (the same statement with index scans disabled in its transaction).

Targets (from the issue) are printed beside the figures as PASS/MISS, never asserted:
hybrid p99 <= 20 ms (embedding excluded), HNSW recall@10 >= 0.95.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

import bm25s
import numpy as np
import psutil
import psycopg
from databases import octag_database
from psycopg import Connection, sql

from octag import db
from octag.config import get_settings
from octag.db.embedded import EmbeddedPostgres
from octag.etl.jobs import JobSource, create_job
from octag.etl.pipeline import run_job
from octag.etl.store import (
    PreparedChunk,
    PreparedDocument,
    content_hash,
    ensure_collection,
    ensure_vector_index,
    replace_documents,
)
from octag.etl.text import clean_text
from octag.search import hybrid
from octag.search.embedders import Embedder, Vectors, get_embedder
from octag.search.hybrid import SearchQuery, search
from octag.search.tokenizer import kiwi, lexeme_texts, lexemes, sentence_spans

ROOT = Path(__file__).resolve().parents[1]
KORQUAD = ROOT.parent / "shared/data/korquad/KorQuAD_v1.0_dev.json"
TARGET_P99_MS = 20.0
TARGET_RECALL = 0.95
SYNTHETIC_MODEL = "bench-random-512"
SYNTHETIC_DIMENSION = 512
CHUNKS_PER_DOCUMENT = 4
LOAD_BATCH_DOCUMENTS = 500
CUTS = (1, 5, 10)
# Candidates asked of the vector query; ef_search = max(hybrid.HNSW_EF_SEARCH, depth).
RECALL_DEPTHS = (10, 40, 100, 200, 400)
T = TypeVar("T")
_VECTOR_LITERAL = re.compile(r"\[[-0-9.e,]{200,}\]")  # a query vector in a printed plan


# -- plumbing ----------------------------------------------------------------------------------


def progress(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    """`items`, reporting on stderr how far along they are (a live line on a terminal, else every 10%)."""
    total = total if total is not None else len(cast(Sequence[T], items))
    tty = sys.stderr.isatty()
    started = last = time.perf_counter()
    step = max(1, total // 10)
    for done, item in enumerate(items, start=1):
        yield item
        now = time.perf_counter()
        if tty and (now - last >= 0.5 or done == total):
            print(f"\r  {label}: {done}/{total} ({now - started:.0f} s)", end="", file=sys.stderr, flush=True)
            last = now
        elif not tty and (done % step == 0 or done == total):
            print(f"  {label}: {done}/{total} ({now - started:.0f} s)", file=sys.stderr, flush=True)
    if tty and total:
        print(file=sys.stderr, flush=True)


def note(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


class PrecomputedEmbedder:
    """Benchmark-local: answers `embed_query` with a vector computed beforehand for that text."""

    def __init__(self, model_id: str, dimension: int, vectors: dict[str, Vectors]) -> None:
        self.model_id = model_id
        self.dimension = dimension
        self.vectors = vectors

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return np.stack([self.vectors[text] for text in texts])

    def embed_query(self, text: str) -> Vectors:
        return self.vectors[text]


@contextlib.contextmanager
def query_vectors(embedder: PrecomputedEmbedder) -> Iterator[None]:
    """`search()` in this process gets its query vectors from `embedder` for the block."""
    original = hybrid.get_embedder

    def fake(model_id: str | None = None) -> Embedder:
        if model_id not in (None, embedder.model_id):
            raise ValueError(f"the benchmark embedder serves {embedder.model_id}, not {model_id}")
        return embedder

    setattr(hybrid, "get_embedder", fake)  # noqa: B010
    try:
        yield
    finally:
        setattr(hybrid, "get_embedder", original)  # noqa: B010


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


# -- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    text: str
    relevant: frozenset[str]  # the ids of the paragraph(s) with the answer's context


def dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


@dataclass
class Run:
    side: str  # "ours" or "peer"
    label: str
    rankings: list[list[str]]  # per question, document ids best first (deduplicated)
    seconds: float  # wall time of the query loop
    extra: str = ""

    def first_rank(self, questions: Sequence[Question]) -> list[int | None]:
        ranks: list[int | None] = []
        for ranking, question in zip(self.rankings, questions, strict=True):
            ranks.append(next((i for i, doc in enumerate(ranking[:10], 1) if doc in question.relevant), None))
        return ranks

    def metrics(self, questions: Sequence[Question]) -> dict[str, float]:
        ranks = self.first_rank(questions)
        n = len(ranks)
        figures = {f"recall@{cut}": sum(1 for r in ranks if r is not None and r <= cut) / n for cut in CUTS}
        figures["mrr@10"] = sum(1 / r for r in ranks if r is not None) / n
        figures["queries_per_s"] = n / self.seconds if self.seconds else float("nan")
        return figures


def print_quality(title: str, runs: list[Run], questions: Sequence[Question]) -> None:
    print(f"\n{title}")
    print(f"{'':<5}{'mode':<42}{'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}{'q/s':>8}{'ms/q':>7}")
    for run in runs:
        m = run.metrics(questions)
        print(
            f"{run.side:<5}{run.label:<42}{m['recall@1']:>7.3f}{m['recall@5']:>7.3f}{m['recall@10']:>7.3f}"
            f"{m['mrr@10']:>8.3f}{m['queries_per_s']:>8.0f}{1000 / m['queries_per_s']:>7.2f}{run.extra}"
        )


# -- 1. KorQuAD --------------------------------------------------------------------------------


def korquad(path: Path) -> tuple[list[dict[str, str]], list[Question]]:
    """One record per paragraph (`id` `<title>#<index>`, `title`, `text`), and every question."""
    records: list[dict[str, str]] = []
    ids_by_context: dict[str, list[str]] = {}
    asked: list[tuple[str, str]] = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for index, paragraph in enumerate(article["paragraphs"]):
            paragraph_id = f"{article['title']}#{index}"
            records.append({"id": paragraph_id, "title": article["title"], "text": paragraph["context"]})
            ids_by_context.setdefault(paragraph["context"], []).append(paragraph_id)
            asked.extend((qa["question"], paragraph["context"]) for qa in paragraph["qas"])
    questions = [Question(text, frozenset(ids_by_context[context])) for text, context in asked]
    return records, questions


def ingest(records: list[dict[str, str]], workdir: Path, collection: str) -> tuple[float, int, int]:
    """The records through a real ETL job; returns its seconds, documents and chunks loaded."""
    path = workdir / f"{collection}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    with db.connection() as conn:
        job = create_job(conn, collection, JobSource(paths=[str(path)], format="jsonl", id_field="id"))
    started = time.perf_counter()
    job = run_job(job.id)
    seconds = time.perf_counter() - started
    if job.status != "succeeded" or job.documents_loaded != len(records):
        raise SystemExit(f"the ingestion job {job.status}: {job.error or job.errors[:3]}")
    return seconds, job.documents_loaded, job.chunks_loaded


def run_ours(
    label: str, questions: Sequence[Question], make: Callable[[str], SearchQuery], extra: str = ""
) -> Run:
    rankings = []
    started = time.perf_counter()
    for question in progress(questions, label):
        with db.connection() as conn:
            hits = search(conn, make(question.text))
        rankings.append(dedupe(hit.id for hit in hits))
    return Run("ours", label, rankings, time.perf_counter() - started, extra)


@dataclass
class Captured:
    """The candidate lists `search()` fused, per query, in order."""

    lists: list[tuple[list[Any], list[Any]]] = field(default_factory=list)


@contextlib.contextmanager
def capturing_fusion(captured: Captured) -> Iterator[None]:
    original = hybrid._fuse

    def fuse(query: SearchQuery, keyword: list[Any], vector: list[Any]) -> list[Any]:
        captured.lists.append((keyword, vector))
        return original(query, keyword, vector)

    setattr(hybrid, "_fuse", fuse)  # noqa: B010
    try:
        yield
    finally:
        setattr(hybrid, "_fuse", original)  # noqa: B010


def run_bm25(
    label: str, ids: list[str], texts: list[str], questions: Sequence[Question], k: int
) -> tuple[Run, float]:
    """bm25s over `texts` tokenized by our lexemes; `ids` are their document ids. Returns the run and
    the index build time (tokenizing included)."""
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([lexemes(text) for text in texts], show_progress=False)
    build_s = time.perf_counter() - started
    rankings = []
    started = time.perf_counter()
    for question in progress(questions, label):
        found, scores = retriever.retrieve(
            [lexemes(question.text)], k=min(k, len(texts)), show_progress=False
        )
        rankings.append(dedupe(ids[i] for i, s in zip(found[0], scores[0], strict=True) if s > 0))
    extra = f"  (index built in {build_s:.1f} s)"
    return Run("peer", label, rankings, time.perf_counter() - started, extra), build_s


@dataclass
class KorquadResult:
    runs: list[Run]
    questions: list[Question]
    sweep: list[tuple[float, dict[str, float]]]
    embed_ms: list[float]  # the real embedder's embed_query, per question
    vectors: dict[str, Vectors]  # the real query vector of each question
    recall: Recall  # HNSW against exact search, real vectors
    summary: dict[str, Any]


def korquad_section(
    server: EmbeddedPostgres,
    path: Path,
    records: list[dict[str, str]],
    all_questions: list[Question],
    workdir: Path,
    args: argparse.Namespace,
) -> KorquadResult:
    questions = all_questions[: args.questions] if args.questions else all_questions
    k = args.k
    collection = "korquad"
    with octag_database(server, "bench_korquad"):
        note(f"KorQuAD: ingesting {len(records)} paragraphs with an ETL job ...")
        ingest_s, documents, chunks = ingest(records, workdir, collection)
        with db.connection() as conn:
            model_id, dimension = conn.execute(
                "SELECT embedding_model, embedding_dimension FROM collections WHERE name = %s", (collection,)
            ).fetchone() or ("?", 0)
            rows = conn.execute(
                """SELECT c.id, d.source_id, c.text FROM chunks c JOIN documents d ON d.id = c.document_id
                    WHERE c.collection = %s ORDER BY c.id""",
                (collection,),
            ).fetchall()
        chunk_document = {chunk_id: source_id for chunk_id, source_id, _ in rows}
        per_document: dict[str, int] = {}
        for source_id in chunk_document.values():
            per_document[source_id] = per_document.get(source_id, 0) + 1
        missing = {r["id"] for r in records} - set(per_document)
        if missing:
            raise SystemExit(f"{len(missing)} paragraphs have no chunk, e.g. {sorted(missing)[:3]}")

        embedder = get_embedder(model_id)
        vectors: dict[str, Vectors] = {}
        embed_ms: list[float] = []
        for question in progress(questions, f"embed_query ({model_id})"):
            started = time.perf_counter()
            vectors[question.text] = embedder.embed_query(question.text)
            embed_ms.append((time.perf_counter() - started) * 1000)

        def make(**options: Any) -> Callable[[str], SearchQuery]:
            return lambda text: SearchQuery(query=text, collection=collection, k=k, **options)

        captured = Captured()
        with query_vectors(PrecomputedEmbedder(model_id, dimension, vectors)):
            runs = [
                run_ours("keyword (BM25 in SQL)", questions, make(mode="keyword")),
                run_ours(f"vector ({model_id}, HNSW)", questions, make(mode="vector")),
            ]
            with capturing_fusion(captured):
                weighted = run_ours("hybrid weighted 0.7/0.3 (default)", questions, make(mode="hybrid"))
            runs += [
                weighted,
                run_ours(f"hybrid rrf (k={hybrid.RRF_K})", questions, make(mode="hybrid", fusion="rrf")),
            ]
        paragraph_texts = [clean_text(r["text"]) for r in records]
        bm25_paragraphs, _ = run_bm25(
            "bm25s, paragraphs", [r["id"] for r in records], paragraph_texts, questions, 10
        )
        bm25_chunks, _ = run_bm25(
            "bm25s, our chunks (deduplicated)",
            [source_id for _, source_id, _ in rows],
            [text for *_, text in rows],
            questions,
            k,
        )
        runs += [bm25_paragraphs, bm25_chunks]
        recall_vectors = [vectors[q.text] for q in questions[: args.recall_queries]]
        recall = hnsw_recall(collection, model_id, dimension, recall_vectors, RECALL_DEPTHS)

    # The weight sweep: the captured candidate lists re-fused by `_fuse` at each weight.
    weights = [round(w / 10, 1) for w in range(11)]  # cheap: no query runs again, even with --quick
    sweep: list[tuple[float, dict[str, float]]] = []
    sweep_runs: dict[float, Run] = {}
    for weight in weights:
        options = {"keyword_weight": weight, "vector_weight": round(1 - weight, 1)}
        rankings = []
        started = time.perf_counter()
        for question, (keyword, vector) in zip(questions, captured.lists, strict=True):
            query = SearchQuery(query=question.text, collection=collection, k=k, **options)
            fused = hybrid._fuse(query, keyword, vector)[:k]
            rankings.append(dedupe(chunk_document[c.chunk_id] for c in fused))
        run = Run("ours", f"weighted {weight:.1f}/{1 - weight:.1f}", rankings, time.perf_counter() - started)
        sweep_runs[weight] = run
        sweep.append((weight, run.metrics(questions)))
    reproduces = sweep_runs[0.7].rankings == weighted.rankings if 0.7 in sweep_runs else None

    multi = sum(1 for n in per_document.values() if n > 1)
    duplicates = sum(1 for q in questions if len(q.relevant) > 1)
    print_quality(
        f"KorQuAD 1.0 dev ({path.name}, CC BY-ND 2.0 KR, read unmodified): {documents} paragraphs as "
        f"documents -> {chunks} chunks ({multi} paragraphs in 2+ chunks), ingested by run_job in "
        f"{ingest_s:.1f} s; {len(questions)} of {len(all_questions)} questions ({duplicates} with a "
        f"duplicated context: either copy counts); ours: top {k} chunks deduplicated to documents",
        runs,
        questions,
    )
    print(
        f"  q/s: search() alone per query (a pooled connection each), the query vector precomputed; "
        f"{model_id} embed_query adds p50 {percentile(embed_ms, 50):.2f} ms, "
        f"p99 {percentile(embed_ms, 99):.2f} ms, mean {np.mean(embed_ms):.2f} ms per query to vector "
        "and hybrid. bm25s: lexemes() + retrieve() per query (our keyword mode tokenizes inside search())"
    )
    print(
        "\nweighted hybrid, keyword weight sweep (vector weight = 1 - keyword weight), re-fused by "
        f"hybrid._fuse from the candidates search() fetched (depth {max(k * 4, 40)} each)"
    )
    print(f"{'keyword':>9}{'vector':>8}{'R@1':>8}{'R@5':>8}{'R@10':>8}{'MRR@10':>8}")
    best = max(sweep, key=lambda item: item[1]["mrr@10"])[0]
    for weight, m in sweep:
        mark = "  <- best" if weight == best else ""
        mark += "  (default)" if weight == 0.7 else ""
        print(
            f"{weight:>9.1f}{1 - weight:>8.1f}{m['recall@1']:>8.3f}{m['recall@5']:>8.3f}"
            f"{m['recall@10']:>8.3f}{m['mrr@10']:>8.3f}{mark}"
        )
    if reproduces is not None:
        print(f"  sweep at 0.7/0.3 reproduces search()'s rankings exactly: {'yes' if reproduces else 'NO'}")

    if args.show_failures:
        show_failures(runs, questions, args.show_failures, records)

    summary = {
        "paragraphs": documents,
        "chunks": chunks,
        "questions": len(questions),
        "k_chunks": k,
        "ingest_s": round(ingest_s, 2),
        "embed_query_ms_p50": round(percentile(embed_ms, 50), 3),
        "modes": {run.label: _rounded(run.metrics(questions)) for run in runs},
        "sweep_mrr@10": {f"{w:.1f}": round(m["mrr@10"], 4) for w, m in sweep},
        "sweep_reproduces_search": reproduces,
        "hnsw_recall@10": {str(d): round(r, 4) for d, r in recall.recall.items()},
        "hnsw_index_used": {str(d): u for d, u in recall.index_used.items()},
    }
    return KorquadResult(runs, questions, sweep, embed_ms, vectors, recall, summary)


def show_failures(
    runs: list[Run], questions: Sequence[Question], count: int, records: list[dict[str, str]]
) -> None:
    """Questions where the default hybrid ranks the paragraph worse than bm25s on paragraphs does."""
    by_label = {run.label: run for run in runs}
    hybrid_run = by_label["hybrid weighted 0.7/0.3 (default)"]
    peer = by_label["bm25s, paragraphs"]
    keyword_run = next(run for run in runs if run.label.startswith("keyword"))
    vector_run = next(run for run in runs if run.label.startswith("vector"))
    ranks = {
        name: run.first_rank(questions)
        for name, run in (
            ("hybrid", hybrid_run),
            ("bm25s", peer),
            ("keyword", keyword_run),
            ("vector", vector_run),
        )
    }
    worse = [
        i
        for i in range(len(questions))
        if ranks["bm25s"][i] is not None and (ranks["hybrid"][i] or 99) > (ranks["bm25s"][i] or 99)
    ]
    better = sum(
        1
        for i in range(len(questions))
        if ranks["hybrid"][i] is not None and (ranks["bm25s"][i] or 99) > (ranks["hybrid"][i] or 99)
    )
    print(
        f"\nhybrid (default) ranks the paragraph worse than bm25s on {len(worse)} questions, better on "
        f"{better}; {min(count, len(worse))} of the worse (seeded sample), rank per mode (- = not in top 10):"
    )
    titles = {r["id"]: r["title"] for r in records}
    for i in random.Random(1).sample(worse, min(count, len(worse))):
        question = questions[i]
        shown = " ".join(f"{name}={ranks[name][i] or '-'}" for name in ranks)
        print(f"  {' '.join(question.text.split())}  [{', '.join(sorted(question.relevant))}]  {shown}")
        print(f"    lexemes: {' '.join(lexemes(question.text))}")
        print(
            f"    hybrid top 3: {', '.join(hybrid_run.rankings[i][:3])}  (title {titles[next(iter(question.relevant))]})"
        )


def _rounded(figures: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 4) for key, value in figures.items()}


# -- 2. synthetic scale ------------------------------------------------------------------------


@dataclass(frozen=True)
class SentencePool:
    sentences: list[str]
    lexemes: list[str]  # kiwi lexeme text of each sentence


def sentence_pool(records: list[dict[str, str]]) -> SentencePool:
    """The sentences of the distinct KorQuAD paragraphs (kiwi's splitter) and their lexeme texts."""
    texts = list(dict.fromkeys(clean_text(r["text"]) for r in records))
    sentences = [
        text[start:end]
        for text, spans in zip(texts, sentence_spans(texts), strict=True)
        for start, end in spans
    ]
    sentences = [s for s in sentences if len(s) >= 10]
    return SentencePool(sentences, lexeme_texts(sentences))


def synthetic_batches(
    count: int, pool: SentencePool, seed: int, sentence_vectors: Vectors | None
) -> Iterator[list[PreparedDocument]]:
    """`count` chunks, `CHUNKS_PER_DOCUMENT` a document, in batches of `LOAD_BATCH_DOCUMENTS` documents:
    2-6 random sentences (at most 800 characters) a chunk. Its vector is a seeded random unit vector,
    or with `sentence_vectors`, the normalized sum of its sentences' vectors. The texts depend on the
    seed only, so both kinds of vectors come with the very same texts."""
    text_rng = random.Random(seed)
    vector_rng = np.random.default_rng(seed)
    sentences = pool.sentences
    made = number = 0
    while made < count:
        batch: list[PreparedDocument] = []
        while made < count and len(batch) < LOAD_BATCH_DOCUMENTS:
            n = min(CHUNKS_PER_DOCUMENT, count - made)
            picks: list[list[int]] = []
            for _ in range(n):
                picked: list[int] = []
                length = 0
                for _ in range(text_rng.randint(2, 6)):
                    index = text_rng.randrange(len(sentences))
                    if picked and length + len(sentences[index]) + 1 > 800:
                        break
                    picked.append(index)
                    length += len(sentences[index]) + 1
                picks.append(picked)
            if sentence_vectors is None:
                vectors = vector_rng.standard_normal((n, SYNTHETIC_DIMENSION), dtype=np.float32)
            else:
                vectors = np.stack([sentence_vectors[picked].sum(axis=0) for picked in picks])
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            chunks = [
                PreparedChunk(
                    ordinal,
                    " ".join(sentences[i] for i in picked),
                    " ".join(pool.lexemes[i] for i in picked if pool.lexemes[i]),
                    vectors[ordinal],
                    {},
                )
                for ordinal, picked in enumerate(picks)
            ]
            whole = "\n\n".join(c.text for c in chunks)
            batch.append(
                PreparedDocument(
                    f"synthetic-{number:06d}",
                    f"bench://synthetic/{number}",
                    None,
                    content_hash(whole, None, {}),
                    {},
                    chunks,
                )
            )
            made += n
            number += 1
        yield batch


def load_synthetic(
    url: str, collection: str, model_id: str, batches: Iterator[list[PreparedDocument]], count: int
) -> dict[str, float]:
    """Load through the store; the HNSW index is dropped for the bulk load and rebuilt after."""
    timings: dict[str, float] = {}
    with db.connection() as conn:
        target = ensure_collection(conn, collection, model_id, SYNTHETIC_DIMENSION)
    index = hnsw_index_name(model_id)
    with db.connection() as conn:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
    started = time.perf_counter()
    written = 0
    total_batches = -(-count // (CHUNKS_PER_DOCUMENT * LOAD_BATCH_DOCUMENTS))
    for batch in progress(batches, f"load {model_id} (replace_documents), batches", total_batches):
        with db.connection() as conn:
            written += replace_documents(conn, target, batch, None)
    timings["load_s"] = time.perf_counter() - started
    if written != count:
        raise SystemExit(f"loaded {written} synthetic chunks of {count}")
    note(f"building the HNSW index of {model_id} (ensure_vector_index) ...")
    started = time.perf_counter()
    with db.connection() as conn:
        conn.execute("SET LOCAL maintenance_work_mem = '1GB'")
        ensure_vector_index(conn, model_id, SYNTHETIC_DIMENSION)
    timings["hnsw_build_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE documents")
        conn.execute("VACUUM ANALYZE chunks")
    timings["vacuum_analyze_s"] = time.perf_counter() - started
    return timings


def hnsw_index_name(model_id: str) -> str:
    with db.connection() as conn:
        row = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'chunks' AND indexdef LIKE '%%USING hnsw%%'"
            " AND indexdef LIKE %s",
            (f"%{model_id}%",),
        ).fetchone()
    if row is None:
        raise SystemExit(f"no HNSW index for {model_id}")
    return str(row[0])


class ExplainingConnection:
    """Passes everything through to the connection, and EXPLAIN ANALYZEs the candidate queries of
    `search()` first (the very statement and parameters), keeping their plans."""

    def __init__(self, conn: Connection[Any]) -> None:
        self._conn = conn
        self.plans: list[tuple[str, str]] = []  # (kind, plan)

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query.as_string(self._conn) if isinstance(query, sql.Composable) else str(query)
        head = " ".join(text.split())[:40]
        kind = "keyword" if head.startswith("SELECT id, sum(best) AS score") else None
        kind = "vector" if head.startswith("SELECT c.id, c.embedding") else kind
        if kind is not None:
            statement = sql.SQL("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) ") + (
                query if isinstance(query, sql.Composable) else sql.SQL(query)
            )
            rows = self._conn.execute(statement, params).fetchall()
            self.plans.append((kind, "\n".join(row[0] for row in rows)))
        return self._conn.execute(query, params, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def plans_of(collection: str, texts: list[str], index_name: str) -> tuple[dict[str, int], dict[str, str]]:
    """How many hybrid searches' keyword and vector queries used the GIN and HNSW indexes, and one
    plan of each kind."""
    used = {"keyword": 0, "vector": 0}
    sample: dict[str, str] = {}
    for text in progress(texts, "EXPLAIN ANALYZE"):
        with db.connection() as conn:
            proxy = ExplainingConnection(conn)
            search(cast(Connection[Any], proxy), SearchQuery(query=text, collection=collection, k=10))
        for kind, plan in proxy.plans:
            sample.setdefault(kind, plan)
            needle = "chunks_tsv_idx" if kind == "keyword" else index_name
            used[kind] += needle in plan
    return used, sample


@dataclass(frozen=True)
class Recall:
    """HNSW recall@10 against exact search, per depth (candidates asked of the vector query)."""

    queries: int
    recall: dict[int, float]
    index_used: dict[int, bool]  # did the depth's plan (first query) scan the HNSW index?
    exact_uses_index: bool  # must be False
    exact_ms: float
    approximate_ms: float  # at depth 40 (hybrid k=10)

    def cell(self, depth: int) -> str:
        return f"{self.recall[depth]:.3f} {'hnsw' if self.index_used[depth] else 'seq!'}"


def vector_plan_uses(index: str, run: Callable[[Connection[Any]], object], *settings: str) -> bool:
    with db.connection() as conn:
        for setting in settings:
            conn.execute(setting)
        proxy = ExplainingConnection(conn)
        run(cast(Connection[Any], proxy))
    return any(index in plan for _, plan in proxy.plans)


def hnsw_recall(
    collection: str, model_id: str, dimension: int, vectors: list[Vectors], depths: Sequence[int]
) -> Recall:
    """Recall@10 of `hybrid._vector_candidates` at each depth (ef_search = max(hybrid.HNSW_EF_SEARCH,
    depth)) against the same function with index scans disabled in its transaction."""
    where = sql.SQL("true")
    params = {"collection": collection}
    index = hnsw_index_name(model_id)

    def candidates(conn: Connection[Any], vector: Vectors, depth: int) -> list[Any]:
        return hybrid._vector_candidates(conn, vector.tolist(), model_id, dimension, where, params, depth)

    hits = dict.fromkeys(depths, 0)
    exact_s = approximate_s = 0.0
    for vector in progress(vectors, f"HNSW vs exact ({model_id})"):
        started = time.perf_counter()
        with db.connection() as conn:
            conn.execute("SET LOCAL enable_indexscan = off")
            truth = {c.chunk_id for c in candidates(conn, vector, 10)}
        exact_s += time.perf_counter() - started
        for depth in depths:
            started = time.perf_counter()
            with db.connection() as conn:
                found = candidates(conn, vector, depth)
            if depth == 40:
                approximate_s += time.perf_counter() - started
            hits[depth] += len(truth & {c.chunk_id for c in found[:10]})
    n = len(vectors)
    first = vectors[0]
    return Recall(
        queries=n,
        recall={d: hits[d] / (10 * n) for d in depths},
        index_used={d: vector_plan_uses(index, partial(candidates, vector=first, depth=d)) for d in depths},
        exact_uses_index=vector_plan_uses(
            index, lambda conn: candidates(conn, first, 10), "SET LOCAL enable_indexscan = off"
        ),
        exact_ms=exact_s / n * 1000,
        approximate_ms=approximate_s / n * 1000,
    )


def latency(label: str, texts: list[str], make: Callable[[str], SearchQuery], warmup: int) -> list[float]:
    for text in texts[:warmup]:
        with db.connection() as conn:
            search(conn, make(text))
    samples = []
    for text in progress(texts, f"latency: {label}"):
        started = time.perf_counter()
        with db.connection() as conn:
            search(conn, make(text))
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def keyword_matches(collection: str, texts: list[str]) -> list[int]:
    """How many chunks each query's selecting keyword terms match: the rows BM25 must rank."""
    counts = []
    with db.connection() as conn:
        for text in texts:
            plan = hybrid.keyword_plan(conn, collection, text)
            if plan is None:
                counts.append(0)
                continue
            row = conn.execute(
                "SELECT count(*) FROM chunks WHERE collection = %s AND tsv @@ to_tsquery('simple', %s)",
                (collection, plan.selecting),
            ).fetchone()
            counts.append(int(row[0]) if row else 0)
    return counts


def server_settings() -> str:
    with db.connection() as conn:
        row = (
            conn.execute(
                "SELECT current_setting('shared_buffers'), current_setting('work_mem'), current_setting('jit'),"
                " pg_jit_available(), current_setting('max_parallel_workers_per_gather')"
            ).fetchone()
            or ("?",) * 5
        )
    return (
        f"server: shared_buffers={row[0]} work_mem={row[1]} jit={row[2]} (available: {row[3]}) "
        f"max_parallel_workers_per_gather={row[4]}"
    )


def sizes(model_id: str) -> str:
    with db.connection() as conn:
        row = (
            conn.execute(
                "SELECT pg_size_pretty(pg_relation_size(%s::regclass)),"
                " pg_size_pretty(pg_relation_size('chunks_tsv_idx')), pg_size_pretty(pg_total_relation_size('chunks'))",
                (hnsw_index_name(model_id),),
            ).fetchone()
            or ("?",) * 3
        )
    return f"HNSW index {row[0]}, GIN index {row[1]}, chunks table in all {row[2]}"


def print_latency(samples: dict[str, list[float]], target_label: str) -> None:
    print(f"{'mode':<44}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}{'q/s':>7}  target")
    for label, values in samples.items():
        p99 = percentile(values, 99)
        target = (
            f"p99 <= {TARGET_P99_MS:.0f} ms: {verdict(p99 <= TARGET_P99_MS)}" if label == target_label else ""
        )
        print(
            f"{label:<44}{percentile(values, 50):>9.2f}{percentile(values, 90):>9.2f}{p99:>9.2f}"
            f"{max(values):>9.2f}{np.mean(values):>9.2f}{1000 / np.mean(values):>7.0f}  {target}"
        )


def _latency_summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        label: {
            "p50": round(percentile(v, 50), 3),
            "p99": round(percentile(v, 99), 3),
            "mean": round(float(np.mean(v)), 3),
        }
        for label, v in samples.items()
    }


def synthetic_section(
    server: EmbeddedPostgres, records: list[dict[str, str]], questions: list[Question],
    korquad_result: KorquadResult | None, args: argparse.Namespace,
) -> dict[str, Any]:  # fmt: skip
    count, seed = args.synthetic_chunks, args.seed
    collection = "synthetic"
    default_hybrid = "hybrid weighted 0.7/0.3 (default)"
    note("synthetic: splitting the KorQuAD paragraphs into sentences ...")
    pool = sentence_pool(records)
    rng = random.Random(seed + 1)
    texts = [q.text for q in rng.sample(questions, min(args.latency_queries, len(questions)))]
    recall_texts = texts[: args.recall_queries]
    query_matrix = np.random.default_rng(seed + 1).standard_normal(
        (len(texts), SYNTHETIC_DIMENSION), dtype=np.float32
    )
    query_matrix /= np.linalg.norm(query_matrix, axis=1, keepdims=True)
    random_vectors = dict(zip(texts, query_matrix, strict=True))  # a repeated question: one vector

    # (a) seeded random vectors: latency of every mode, plans, recall.
    with octag_database(server, "bench_synthetic_random") as url:
        random_timings = load_synthetic(
            url, collection, SYNTHETIC_MODEL, synthetic_batches(count, pool, seed, None), count
        )
        random_sizes = sizes(SYNTHETIC_MODEL)
        settings = server_settings()
        with query_vectors(PrecomputedEmbedder(SYNTHETIC_MODEL, SYNTHETIC_DIMENSION, random_vectors)):
            modes: dict[str, Callable[[str], SearchQuery]] = {
                default_hybrid: lambda t: SearchQuery(query=t, collection=collection),
                "keyword": lambda t: SearchQuery(query=t, collection=collection, mode="keyword"),
                "vector": lambda t: SearchQuery(query=t, collection=collection, mode="vector"),
            }
            samples = {label: latency(label, texts, make, args.warmup) for label, make in modes.items()}
            latency_load = load_average()
            index = hnsw_index_name(SYNTHETIC_MODEL)
            used, sample_plans = plans_of(collection, texts[: args.explain_queries], index)
        matches = keyword_matches(collection, texts[: args.explain_queries * 5])
        random_recall = hnsw_recall(
            collection,
            SYNTHETIC_MODEL,
            SYNTHETIC_DIMENSION,
            [random_vectors[t] for t in recall_texts],
            RECALL_DEPTHS,
        )

    # (b) the same texts, vectors composed from real sentence embeddings; real query embeddings.
    embedder = get_embedder()
    note(f"embedding {len(pool.sentences)} sentences with {embedder.model_id} ...")
    started = time.perf_counter()
    sentence_vectors = np.concatenate(
        [
            embedder.embed_documents(pool.sentences[i : i + get_settings().etl_batch_size])
            for i in range(0, len(pool.sentences), get_settings().etl_batch_size)
        ]
    )
    sentence_embed_s = time.perf_counter() - started
    known = korquad_result.vectors if korquad_result else {}
    real_vectors = {t: known[t] if t in known else embedder.embed_query(t) for t in texts}
    composed_model = f"bench-composed-{embedder.model_id}"[:63]
    with octag_database(server, "bench_synthetic_composed") as url:
        composed_timings = load_synthetic(
            url, collection, composed_model, synthetic_batches(count, pool, seed, sentence_vectors), count
        )
        with query_vectors(PrecomputedEmbedder(composed_model, SYNTHETIC_DIMENSION, real_vectors)):
            composed_samples = {
                "vector (composed vectors, real queries)": latency(
                    "vector (composed)",
                    texts,
                    lambda t: SearchQuery(query=t, collection=collection, mode="vector"),
                    args.warmup,
                )
            }
        composed_recall = hnsw_recall(
            collection,
            composed_model,
            SYNTHETIC_DIMENSION,
            [real_vectors[t] for t in recall_texts],
            RECALL_DEPTHS,
        )

    # -- report
    documents = -(-count // CHUNKS_PER_DOCUMENT)
    print(
        f"\nsynthetic scale (seed {seed}): {count} chunks in {documents} documents, each chunk 2-6 sentences "
        f"drawn from the KorQuAD paragraphs (a pool of {len(pool.sentences)}), lexemes = the sentences' kiwi "
        f"lexemes. Real embeddings for {count} chunks take too long here, so two kinds of 512-d vectors, "
        "over the very same texts:"
    )
    print(
        f"  (a) {SYNTHETIC_MODEL}: seeded random unit vectors, queries too (uniform on the sphere: no "
        f"structure, the worst case for HNSW); loaded by replace_documents in {random_timings['load_s']:.1f} s "
        f"(HNSW dropped), HNSW rebuilt by ensure_vector_index in {random_timings['hnsw_build_s']:.1f} s "
        f"(maintenance_work_mem 1GB), VACUUM ANALYZE {random_timings['vacuum_analyze_s']:.1f} s; {random_sizes}"
    )
    print(
        f"  (b) {composed_model}: each chunk the normalized sum of its sentences' real {embedder.model_id} "
        f"vectors ({len(pool.sentences)} sentences embedded in {sentence_embed_s:.1f} s), queries the "
        f"questions' real vectors; loaded in {composed_timings['load_s']:.1f} s, HNSW built in "
        f"{composed_timings['hnsw_build_s']:.1f} s"
    )
    print(f"  {settings}")
    print(
        f"  rows the keyword query's selecting lexemes match, over {len(matches)} queries: median "
        f"{percentile(matches, 50):.0f}, p90 {percentile(matches, 90):.0f}, max {max(matches, default=0)} "
        f"of {count} chunks; BM25 scores every one of them"
    )
    print(
        f"\nsearch() latency on (a), k=10, {len(texts)} KorQuAD questions as queries (after {args.warmup} "
        "warm-up queries per mode), query embedding EXCLUDED (precomputed vectors), a pooled connection per query; "
        f"load average when measured: {latency_load}"
    )
    print_latency({**samples, **composed_samples}, default_hybrid)
    embed_ms = korquad_result.embed_ms if korquad_result else []
    if embed_ms:
        print(
            f"  + query embedding ({embedder.model_id} embed_query, measured on the {len(embed_ms)} KorQuAD "
            f"questions of part 1): p50 {percentile(embed_ms, 50):.2f} ms, p99 {percentile(embed_ms, 99):.2f} ms"
        )
    print(
        f"\nHNSW recall@10 against exact search (the same statement with enable_indexscan = off in its "
        f"transaction), {random_recall.queries} queries; 'hnsw'/'seq!': the plan at that depth did/did not scan "
        "the HNSW index (the planner may prefer an exact scan)"
    )
    korquad_recall = korquad_result.recall if korquad_result else None
    kq_header = f"KorQuAD {korquad_result.summary['chunks']} real" if korquad_result else "KorQuAD"
    print(f"{'depth (ef_search) - used by':<36}{'(a) random':>13}{'(b) composed':>14}{kq_header:>20}  target")
    descriptions = {
        10: "vector k=10",
        40: "hybrid k=10",
        100: "hybrid k=25",
        200: "hybrid k=50",
        400: "hybrid k=100",
    }
    for depth in RECALL_DEPTHS:
        label = f"{depth} ({max(hybrid.HNSW_EF_SEARCH, depth)}) - {descriptions.get(depth, '')}"
        real = korquad_recall.cell(depth) if korquad_recall else "-"
        target = ""
        if depth in (10, 40):
            target = (
                f">= {TARGET_RECALL}: (a) {verdict(random_recall.recall[depth] >= TARGET_RECALL)}, "
                f"(b) {verdict(composed_recall.recall[depth] >= TARGET_RECALL)}"
            )
        print(
            f"{label:<36}{random_recall.cell(depth):>13}{composed_recall.cell(depth):>14}{real:>20}  {target}"
        )
    print(
        f"  exact query: (a) {random_recall.exact_ms:.0f} ms, (b) {composed_recall.exact_ms:.0f} ms per query; "
        f"HNSW at depth 40: (a) {random_recall.approximate_ms:.1f} ms, (b) {composed_recall.approximate_ms:.1f} ms. "
        "The exact plans scan the HNSW index: "
        f"{'YES (so they are not exact!)' if random_recall.exact_uses_index or composed_recall.exact_uses_index else 'no'}"
    )

    n_explain = min(args.explain_queries, len(texts))
    print(
        f"\nquery plans on (a) (EXPLAIN ANALYZE of the statements search() issues, hybrid k=10, {n_explain} "
        f"queries): keyword query on the GIN index (chunks_tsv_idx) {used['keyword']}/{n_explain}, "
        f"vector query on the HNSW index ({index}) {used['vector']}/{n_explain}"
    )
    for kind, plan in sample_plans.items():
        print(f"  {kind}, first query:")
        for line in plan.splitlines():
            print(f"    {_VECTOR_LITERAL.sub('[...]', line)}")

    return {
        "chunks": count,
        "random": {k: round(v, 2) for k, v in random_timings.items()},
        "composed": {k: round(v, 2) for k, v in composed_timings.items()},
        "latency_ms": _latency_summary({**samples, **composed_samples}),
        "hybrid_p99_target_met": percentile(samples[default_hybrid], 99) <= TARGET_P99_MS,
        "keyword_matches_median": percentile(matches, 50),
        "hnsw_recall@10_random": {str(d): round(r, 4) for d, r in random_recall.recall.items()},
        "hnsw_recall@10_composed": {str(d): round(r, 4) for d, r in composed_recall.recall.items()},
        "hnsw_index_used_random": {str(d): u for d, u in random_recall.index_used.items()},
        "hnsw_index_used_composed": {str(d): u for d, u in composed_recall.index_used.items()},
        "recall_target_met_random": random_recall.recall[40] >= TARGET_RECALL,
        "recall_target_met_composed": composed_recall.recall[40] >= TARGET_RECALL,
        "plans": {"gin_used": used["keyword"], "hnsw_used": used["vector"], "of": n_explain},
    }


# -- machine -----------------------------------------------------------------------------------


def machine(server: EmbeddedPostgres) -> dict[str, Any]:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with psycopg.connect(server.url) as conn:
        version, vector = conn.execute(
            "SELECT current_setting('server_version'),"
            " (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')"
        ).fetchone() or ("?", "?")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "postgresql": version,
        "pgvector": vector,
        "bm25s": importlib.metadata.version("bm25s"),
        "kiwipiepy": importlib.metadata.version("kiwipiepy"),
        "platform": platform.platform(),
    }


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 questions, 20,000 synthetic chunks, fewer queries"
    )
    parser.add_argument(
        "--questions", type=int, help="the first N KorQuAD questions (default all; 1000 with --quick)"
    )
    parser.add_argument("--k", type=int, default=10, help="chunks asked of search() per query (default 10)")
    parser.add_argument("--synthetic-chunks", type=int, help="default 100000 (20000 with --quick); 0 skips")
    parser.add_argument("--latency-queries", type=int, help="per mode; default 300 (100 with --quick)")
    parser.add_argument("--recall-queries", type=int, help="default 200 (50 with --quick)")
    parser.add_argument(
        "--explain-queries", type=int, help="EXPLAINed hybrid searches; default 20 (10 with --quick)"
    )
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured queries per mode first")
    parser.add_argument(
        "--show-failures", type=int, default=8, help="questions hybrid ranks worse than bm25s"
    )
    parser.add_argument("--skip-korquad", action="store_true")
    parser.add_argument(
        "--shared-buffers",
        default="1GB",
        help="the server's shared_buffers (default 1GB: the 100k collection's indexes and heap fit, as on a "
        "database sized for its data; PostgreSQL's own default is 128MB)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    args = parser.parse_args()
    if not args.korquad.is_file():
        raise SystemExit(f"KorQuAD not found at {args.korquad}; pass --korquad PATH")
    if args.questions is None:
        args.questions = 1000 if args.quick else 0
    if args.synthetic_chunks is None:
        args.synthetic_chunks = 20_000 if args.quick else 100_000
    args.latency_queries = args.latency_queries or (100 if args.quick else 300)
    args.recall_queries = args.recall_queries or (50 if args.quick else 200)
    args.explain_queries = args.explain_queries or (10 if args.quick else 20)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds the `with` blocks: stops the server

    started = time.perf_counter()
    kiwi()
    results: dict[str, Any] = {"bench": "retrieval", "quick": args.quick}
    with (
        tempfile.TemporaryDirectory(prefix="octag-bench-retrieval-") as tmp,
        EmbeddedPostgres(
            Path(tmp) / "postgres", server_options={"shared_buffers": args.shared_buffers}
        ) as server,
    ):
        info = machine(server)
        results["machine"] = info
        print(
            f"machine: {info['cpus']} CPUs ({info['cpu_model']}), {info['ram_gib']} GiB RAM, "
            f"Python {info['python']}, PostgreSQL {info['postgresql']} (embedded, Unix socket), "
            f"pgvector {info['pgvector']}, bm25s {info['bm25s']}, kiwipiepy {info['kiwipiepy']}; "
            f"load average {load_average()}"
        )
        records, questions = korquad(args.korquad)
        korquad_result = None
        if not args.skip_korquad:
            korquad_result = korquad_section(server, args.korquad, records, questions, Path(tmp), args)
            results["korquad"] = korquad_result.summary
        if args.synthetic_chunks > 0:
            results["synthetic"] = synthetic_section(server, records, questions, korquad_result, args)
    seconds = time.perf_counter() - started
    results["wall_s"] = round(seconds, 1)
    print(f"\nwall time {seconds:.0f} s; load average {load_average()}")
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
