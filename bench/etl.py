"""ETL throughput: documents/s and chunks/s of each pipeline stage (parse, clean + chunk, tokenize,
embed, load) and peak memory, on KorQuAD 1.0 dev and on a synthetic corpus, beside langchain-postgres
(`PGVector`) embedding and loading the very same chunks into the same database in the same run.

Runs its own embedded PostgreSQL in a temp dir (Unix socket only), one fresh migrated database per
measurement. Our stages are the pipeline's own functions called one stage at a time over the whole
corpus, in the pipeline's batches; "pipeline as a job" is `run_job` end to end. Usage:

    .venv/bin/python bench/etl.py [--quick] [--synthetic-chunks 100000] [--synthetic-embedder random|octag]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import random
import resource
import signal
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import psutil
import psycopg
import sqlalchemy
from databases import octag_database
from langchain_core.embeddings import Embeddings

from octag import db
from octag.config import get_settings
from octag.db.embedded import EmbeddedPostgres
from octag.etl.documents import SourceDocument
from octag.etl.extract import extract
from octag.etl.jobs import JobSource, create_job
from octag.etl.pipeline import _BATCH_DOCUMENTS, _embed, run_job  # the pipeline's own batching
from octag.etl.store import (
    PreparedChunk,
    PreparedDocument,
    content_hash,
    ensure_collection,
    replace_documents,
)
from octag.etl.text import Chunk, chunk_text, clean_text
from octag.search.embedders import Embedder, Vectors, get_embedder
from octag.search.tokenizer import kiwi, lexeme_texts

ROOT = Path(__file__).resolve().parents[1]
KORQUAD = ROOT.parent / "shared/data/korquad/KorQuAD_v1.0_dev.json"
MB = 1024 * 1024
T = TypeVar("T")


# -- measuring ---------------------------------------------------------------------------------


class RssMonitor:
    """Peak resident memory of this process during a block, sampled on a thread every 10 ms."""

    def __init__(self, interval_s: float = 0.01) -> None:
        self._process = psutil.Process()
        self._interval_s = interval_s
        self._peak = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-monitor", daemon=True)
        self._thread.start()

    def rss(self) -> int:
        return int(self._process.memory_info().rss)

    def _sample(self) -> None:
        while not self._stopped.wait(self._interval_s):
            self._peak = max(self._peak, self.rss())

    def measure(self, work: Callable[[], T]) -> tuple[T, float, int]:
        """`work()`, its wall time in seconds and the peak RSS while it ran."""
        self._peak = self.rss()
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
        return result, seconds, max(self._peak, self.rss())

    def close(self) -> None:
        self._stopped.set()
        self._thread.join()


@dataclass(frozen=True)
class Row:
    side: str  # "ours" or "peer"
    stage: str  # what ratios look rows up by
    label: str
    seconds: float
    documents: int
    chunks: int | None  # None: not chunked yet (parse)
    peak_rss: int


# -- corpora -----------------------------------------------------------------------------------


def korquad_records(path: Path) -> Iterator[dict[str, str]]:
    """KorQuAD's distinct context paragraphs, with their article title and an id of our own."""
    seen: set[str] = set()
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            if paragraph["context"] not in seen:
                seen.add(paragraph["context"])
                yield {
                    "id": f"korquad-dev-{len(seen):04d}",
                    "title": article["title"],
                    "text": paragraph["context"],
                }


def korquad_paragraphs(path: Path) -> int:
    return sum(len(a["paragraphs"]) for a in json.loads(path.read_text(encoding="utf-8"))["data"])


_AREAS = ("강남", "홍대", "건대입구", "신촌", "성수", "잠실", "대학로", "부산 서면", "대구 동성로", "수원역")
_GENRES = ("공포", "추리", "감성", "코믹", "SF", "판타지", "스릴러", "어드벤처", "잠입", "드라마")
_THEMES = (
    "미궁",
    "비밀의 방",
    "마지막 열차",
    "인형의 집",
    "시간의 탑",
    "잃어버린 기억",
    "검은 숲",
    "달빛 정원",
)
_OPINIONS = (
    "연출이 훌륭했다",
    "자물쇠가 너무 많았다",
    "스토리가 탄탄했다",
    "힌트가 친절했다",
    "인테리어가 인상적이었다",
    "마지막 장치가 놀라웠다",
    "문제가 조금 억지스러웠다",
    "배우의 연기가 실감 났다",
)
_LEVELS = ("쉬운", "보통인", "어려운", "아주 어려운")
_TEMPLATES = (
    "{area}의 {theme} 테마는 {genre} 장르로 {n}명이 하기 알맞다.",
    "{n}명이 {area}에서 {theme}에 도전했는데 {opinion}.",
    "{genre} 테마를 좋아한다면 {area}의 {theme} 테마를 추천한다.",
    "난이도는 {level} 편이고 제한 시간은 {minutes}분이다.",
    "1인당 가격은 {price}원이며 {opinion}.",
)


def synthetic_records(count: int, seed: int) -> Iterator[dict[str, str]]:
    """`count` short Korean reviews (2-5 sentences, one chunk each), the same for the same seed."""
    rng = random.Random(seed)
    for i in range(count):
        area = rng.choice(_AREAS)
        sentences = [
            rng.choice(_TEMPLATES).format(
                area=area,
                theme=rng.choice(_THEMES),
                genre=rng.choice(_GENRES),
                n=rng.randint(2, 6),
                opinion=rng.choice(_OPINIONS),
                level=rng.choice(_LEVELS),
                minutes=rng.choice((60, 70, 75, 80, 90)),
                price=f"{rng.randint(18, 35) * 1000:,}",
            )
            for _ in range(rng.randint(2, 5))
        ]
        yield {"id": f"synthetic-{i:06d}", "text": " ".join(sentences), "area": area}


def write_jsonl(path: Path, records: Iterable[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


class RandomUnitEmbedder:
    """Deterministic random unit vectors (a function of the seed and the text): loads at scale
    without paying for a real model."""

    dimension = 512

    def __init__(self, seed: int) -> None:
        self.model_id = f"bench-random-{self.dimension}"
        self._seed = seed

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        vectors = np.stack(
            [
                np.random.default_rng([self._seed, zlib.crc32(text.encode())]).standard_normal(self.dimension)
                for text in texts
            ]
        ).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_query(self, text: str) -> Vectors:
        return self.embed_documents([text])[0]


# -- our pipeline, stage by stage ------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    document: SourceDocument
    digest: bytes
    chunks: list[Chunk]


@dataclass(frozen=True)
class StagedRun:
    rows: list[Row]
    batches: list[list[Draft]]  # the pipeline's batches of documents
    texts: list[list[str]]  # per batch, its chunks' texts
    vectors: list[list[np.ndarray]]  # per batch, its chunks' vectors


def run_stages(path: Path, collection: str, embedder: Embedder, monitor: RssMonitor) -> StagedRun:
    """Each stage of the pipeline over the whole corpus in turn, in the batches a job uses."""
    extracted, seconds, peak = monitor.measure(
        lambda: list(extract([str(path)], format="jsonl", id_field="id"))
    )
    documents = [item for item in extracted if isinstance(item, SourceDocument)]
    if len(documents) != len(extracted):
        raise SystemExit(f"{path}: {len(extracted) - len(documents)} records failed to extract")
    n = len(documents)
    rows = [Row("ours", "parse", "parse (extract JSONL)", seconds, n, None, peak)]

    def clean_and_chunk() -> list[Draft]:
        drafts = []
        for doc in documents:
            text = clean_text(doc.text)
            chunks = chunk_text(text, markdown=doc.format in ("md", "html"))
            drafts.append(Draft(doc, content_hash(text, doc.title, doc.metadata), chunks))
        return drafts

    drafts, seconds, peak = monitor.measure(clean_and_chunk)
    chunks = sum(len(d.chunks) for d in drafts)
    rows.append(Row("ours", "chunk", "clean + chunk", seconds, n, chunks, peak))
    batches = [drafts[i : i + _BATCH_DOCUMENTS] for i in range(0, n, _BATCH_DOCUMENTS)]
    texts = [[chunk.text for draft in batch for chunk in draft.chunks] for batch in batches]

    lexemes, seconds, peak = monitor.measure(lambda: [lexeme_texts(batch) for batch in texts])
    rows.append(Row("ours", "tokenize", "tokenize (kiwi lexemes)", seconds, n, chunks, peak))
    vectors, seconds, peak = monitor.measure(lambda: [_embed(embedder, batch) for batch in texts])
    rows.append(Row("ours", "embed", f"embed ({embedder.model_id})", seconds, n, chunks, peak))

    prepared = [prepare(*batch) for batch in zip(batches, lexemes, vectors, strict=True)]
    with db.connection() as conn:
        target = ensure_collection(conn, collection, embedder.model_id, embedder.dimension)
        conn.execute("CHECKPOINT")  # each load starts from a clean slate

    def load() -> int:
        written = 0
        for batch in prepared:
            with db.connection() as conn:  # one transaction per batch, as in a job
                written += replace_documents(conn, target, batch, None)
        return written

    written, seconds, peak = monitor.measure(load)
    if written != chunks:
        raise SystemExit(f"loaded {written} chunks of {chunks}")
    rows.append(Row("ours", "load", "load (COPY via replace_documents)", seconds, n, chunks, peak))
    total_s, total_peak = sum(r.seconds for r in rows), max(r.peak_rss for r in rows)
    rows.append(Row("ours", "total", "total of the stages", total_s, n, chunks, total_peak))
    return StagedRun(rows, batches, texts, vectors)


def prepare(batch: list[Draft], lexemes: list[str], vectors: list[np.ndarray]) -> list[PreparedDocument]:
    """A batch's documents with their chunks' lexemes and vectors, ready for `replace_documents`."""
    prepared, position = [], 0
    for draft in batch:
        doc = draft.document
        chunks = [
            PreparedChunk(c.ordinal, c.text, lexemes[position + i], vectors[position + i], c.metadata)
            for i, c in enumerate(draft.chunks)
        ]
        position += len(chunks)
        prepared.append(
            PreparedDocument(doc.source_id, doc.source_uri, doc.title, draft.digest, doc.metadata, chunks)
        )
    return prepared


def run_pipeline_job(path: Path, collection: str, monitor: RssMonitor) -> Row:
    """The real thing: a job run by `run_job` (hash lookups, progress saves and all)."""
    with db.connection() as conn:
        job = create_job(conn, collection, JobSource(paths=[str(path)], format="jsonl", id_field="id"))
    job, seconds, peak = monitor.measure(lambda: run_job(job.id))
    if job.status != "succeeded":
        raise SystemExit(f"the ingestion job {job.status}: {job.error or job.errors[:3]}")
    return Row(
        "ours",
        "job",
        "pipeline as a job (run_job, end to end)",
        seconds,
        job.documents_loaded,
        job.chunks_loaded,
        peak,
    )


# -- the peer: langchain-postgres --------------------------------------------------------------


class LangChainEmbedder(Embeddings):
    """Our embedder behind LangChain's `Embeddings`, in the pipeline's embedding batches."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [vector.tolist() for vector in _embed(self._embedder, texts)]

    def embed_query(self, text: str) -> list[float]:
        return list(self._embedder.embed_query(text).tolist())


def run_peer(
    url: str, ours: StagedRun, embedder: Embedder, monitor: RssMonitor, *, add_texts: bool
) -> list[Row]:
    """The same chunks, metadata and vectors through `PGVector`, one call per batch of ours: loaded as
    shipped (no vector index), then with an HNSW cosine index as ours has; `add_texts` (embed + load)."""
    from langchain_postgres import PGVector

    documents = sum(len(batch) for batch in ours.batches)
    chunks = sum(len(d.chunks) for batch in ours.batches for d in batch)
    calls = [
        (
            texts,
            [
                {"source_id": d.document.source_id, "ordinal": c.ordinal, **d.document.metadata, **c.metadata}
                for d in batch
                for c in d.chunks
            ],
            [f"{d.document.source_id}#{c.ordinal}" for d in batch for c in d.chunks],
        )
        for batch, texts in zip(ours.batches, ours.texts, strict=True)
    ]
    # Precomputed embeddings: ours (same embedder, same batches), as the lists an `Embeddings` returns.
    vectors = [[vector.tolist() for vector in batch] for batch in ours.vectors]
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        store = PGVector(
            LangChainEmbedder(embedder),
            connection=engine,
            embedding_length=embedder.dimension,
            collection_name="peer",
        )

        def execute(*statements: str) -> None:
            with engine.begin() as conn:
                for statement in statements:
                    conn.execute(sqlalchemy.text(statement))

        def load() -> None:
            for (texts, metadatas, ids), batch_vectors in zip(calls, vectors, strict=True):
                store.add_embeddings(texts, batch_vectors, metadatas, ids)

        execute("CHECKPOINT")
        _, seconds, peak = monitor.measure(load)
        rows = [
            Row("peer", "load", "load: add_embeddings, no vector index", seconds, documents, chunks, peak)
        ]
        execute(
            "TRUNCATE langchain_pg_embedding",
            "CREATE INDEX langchain_pg_embedding_hnsw ON langchain_pg_embedding"
            " USING hnsw (embedding vector_cosine_ops)",
            "CHECKPOINT",
        )
        _, seconds, peak = monitor.measure(load)
        rows.append(
            Row("peer", "load_hnsw", "load: add_embeddings, + HNSW index", seconds, documents, chunks, peak)
        )
        if add_texts:
            execute("TRUNCATE langchain_pg_embedding", "CHECKPOINT")
            _, seconds, peak = monitor.measure(
                lambda: [store.add_texts(texts, metadatas, ids) for texts, metadatas, ids in calls]
            )
            rows.append(
                Row("peer", "add_texts", "add_texts (embed + load), + HNSW", seconds, documents, chunks, peak)
            )
        return rows
    finally:
        engine.dispose()


# -- the database ------------------------------------------------------------------------------


def server_context(url: str) -> str:
    with psycopg.connect(url) as conn:
        version, vector, fsync, commit, buffers = (
            conn.execute(
                "SELECT current_setting('server_version'),"
                " (SELECT default_version FROM pg_available_extensions WHERE name = 'vector'),"
                " current_setting('fsync'), current_setting('synchronous_commit'),"
                " current_setting('shared_buffers')"
            ).fetchone()
            or ("?",) * 5
        )
    return (
        f"PostgreSQL {version} embedded (Unix socket), pgvector {vector}; "
        f"fsync={fsync} synchronous_commit={commit} shared_buffers={buffers}"
    )


# -- report ------------------------------------------------------------------------------------


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"{'':<5}{'stage':<44}{'s':>9}{'docs/s':>10}{'chunks/s':>10}{'peak RSS MB':>13}")
    for row in rows:
        chunks_per_s = f"{row.chunks / row.seconds:>10.0f}" if row.chunks is not None else f"{'-':>10}"
        print(
            f"{row.side:<5}{row.label:<44}{row.seconds:>9.2f}{row.documents / row.seconds:>10.0f}"
            f"{chunks_per_s}{row.peak_rss / MB:>13.0f}"
        )


def print_ratios(rows: list[Row]) -> None:
    """Ours ÷ peer in chunks/s over the same chunks, i.e. the peer's seconds ÷ ours: above 1, ours is faster."""
    by = {(row.side, row.stage): row.seconds for row in rows}
    lines = [
        ("load alone, vs peer + HNSW index (like for like)", by["ours", "load"], by["peer", "load_hnsw"]),
        ("load alone, vs peer as shipped (no vector index)", by["ours", "load"], by["peer", "load"]),
    ]
    if ("peer", "add_texts") in by:
        lines += [
            (
                "embed + load, vs peer add_texts + HNSW",
                by["ours", "embed"] + by["ours", "load"],
                by["peer", "add_texts"],
            ),
            ("whole job (parse..load), vs peer add_texts + HNSW", by["ours", "job"], by["peer", "add_texts"]),
        ]
    print("ours ÷ peer, chunks/s on the same chunks (above 1: ours is faster)")
    for label, ours_s, peer_s in lines:
        print(f"  {label:<54}{peer_s / ours_s:>6.2f}x")


# -- main --------------------------------------------------------------------------------------


def korquad_section(server: EmbeddedPostgres, path: Path, workdir: Path, monitor: RssMonitor) -> None:
    embedder = get_embedder()
    korquad = write_jsonl(workdir / "korquad.jsonl", korquad_records(path))
    with octag_database(server, "bench_korquad_job"):
        job = run_pipeline_job(korquad, "korquad", monitor)
    with octag_database(server, "bench_korquad") as url:
        staged = run_stages(korquad, "korquad", embedder, monitor)
        peer = run_peer(url, staged, embedder, monitor, add_texts=True)
    rows = [*staged.rows, job, *peer]
    print_table(
        f"KorQuAD 1.0 dev ({path.name}, CC BY-ND 2.0 KR, read unmodified): {job.documents} distinct "
        f"paragraphs of {korquad_paragraphs(path)}, {job.chunks} chunks; embedder {embedder.model_id}",
        rows,
    )
    print_ratios(rows)


def synthetic_section(
    server: EmbeddedPostgres, count: int, seed: int, embedder: Embedder, workdir: Path, monitor: RssMonitor
) -> None:
    synthetic = write_jsonl(workdir / "synthetic.jsonl", synthetic_records(count, seed))
    with octag_database(server, "bench_synthetic") as url:
        staged = run_stages(synthetic, "synthetic", embedder, monitor)
        peer = run_peer(url, staged, embedder, monitor, add_texts=False)
    rows = [*staged.rows, *peer]
    random_note = " (deterministic random unit vectors)" if isinstance(embedder, RandomUnitEmbedder) else ""
    print_table(
        f"synthetic corpus (seed {seed}): {rows[0].documents} documents, {rows[1].chunks} chunks; "
        f"embedder {embedder.model_id}{random_note}",
        rows,
    )
    print_ratios(rows)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a 5,000-chunk synthetic corpus")
    parser.add_argument("--synthetic-chunks", type=int, help="default 100000 (5000 with --quick)")
    parser.add_argument(
        "--synthetic-embedder",
        choices=("random", "octag"),
        default="random",
        help="random (default): deterministic random unit vectors; octag: the configured embedder",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--korquad", type=Path, default=KORQUAD)
    args = parser.parse_args()
    if not args.korquad.is_file():
        raise SystemExit(f"KorQuAD not found at {args.korquad}; pass --korquad PATH")
    synthetic_chunks = args.synthetic_chunks or (5000 if args.quick else 100_000)
    # A plain `kill` then unwinds through the `with` blocks, which stop the database server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    started = time.perf_counter()
    versions = ", ".join(
        f"{p} {importlib.metadata.version(p)}"
        for p in ("langchain-postgres", "SQLAlchemy", "psycopg", "pgvector", "kiwipiepy")
    )
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, Python {platform.python_version()}, "
        f"load average {load_average()}"
    )
    print(f"packages: {versions}")
    monitor = RssMonitor()
    _, kiwi_s, _ = monitor.measure(kiwi)
    embedder, embedder_s, _ = monitor.measure(get_embedder)
    print(
        f"models: kiwi loaded in {kiwi_s:.1f} s, {embedder.model_id} ({embedder.dimension}-d) "
        f"in {embedder_s:.1f} s; RSS with both: {monitor.rss() / MB:.0f} MB"
    )
    print(
        f"ours: the pipeline's stages in its batches ({_BATCH_DOCUMENTS} documents a tokenize call and a "
        f"load transaction, {get_settings().etl_batch_size} chunks an embed call); it keeps an HNSW "
        "cosine index, a GIN index on the lexemes and a documents row per document up to date"
    )
    print(
        "peer: langchain-postgres PGVector, one call per batch of ours; add_embeddings gets our vectors "
        "as lists; as shipped it has no vector index, '+ HNSW' adds one like ours"
    )
    try:
        with (
            tempfile.TemporaryDirectory(prefix="octag-bench-etl-") as tmp,
            EmbeddedPostgres(Path(tmp) / "postgres") as server,
        ):
            print(server_context(server.url))
            korquad_section(server, args.korquad, Path(tmp), monitor)
            synthetic_embedder = (
                RandomUnitEmbedder(args.seed) if args.synthetic_embedder == "random" else embedder
            )
            synthetic_section(server, synthetic_chunks, args.seed, synthetic_embedder, Path(tmp), monitor)
    finally:
        monitor.close()
    print(
        "\npeak RSS: this process while the stage ran. The staged runs hold every chunk and vector between "
        "stages (the peer's also as Python lists); the job row is the pipeline's own footprint."
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(
        f"process peak RSS (ru_maxrss): {peak / MB:.0f} MB; wall time {time.perf_counter() - started:.0f} s; "
        f"load average {load_average()}"
    )


if __name__ == "__main__":
    main()
