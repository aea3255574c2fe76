"""SQL for collections, documents and chunks: idempotent, atomic per document, bulk `COPY`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import numpy as np
from pgvector.psycopg import register_vector
from psycopg import Connection, sql
from psycopg.types.json import Jsonb

from octag.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Collection:
    name: str
    description: str
    embedding_model: str
    embedding_dimension: int


@dataclass(frozen=True)
class PreparedChunk:
    ordinal: int
    text: str
    lexemes: str
    embedding: Sequence[float] | np.ndarray
    metadata: dict[str, Any]


@dataclass(frozen=True)
class PreparedDocument:
    """A document ready to load: cleaned, chunked, tokenized and embedded."""

    source_id: str
    source_uri: str
    title: str | None
    content_hash: bytes
    metadata: dict[str, Any]
    chunks: list[PreparedChunk]


_COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def content_hash(text: str, title: str | None, metadata: dict[str, Any]) -> bytes:
    """What decides "unchanged": the text, the title and the metadata, canonically serialized."""
    canonical = json.dumps(
        {"text": text, "title": title, "metadata": metadata}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).digest()


def check_collection_name(name: str) -> None:
    if not _COLLECTION_NAME.match(name):
        raise InvalidInput(
            "A collection name is 1-63 lower-case letters, digits, '-' or '_'.", code="invalid_collection"
        )


def ensure_collection(conn: Connection[Any], name: str, model_id: str, dimension: int) -> Collection:
    """The collection, created with this embedder if new; an existing one must use the same model."""
    check_collection_name(name)
    conn.execute(
        """INSERT INTO collections (name, embedding_model, embedding_dimension) VALUES (%s, %s, %s)
           ON CONFLICT (name) DO NOTHING""",
        (name, model_id, dimension),
    )
    row = conn.execute(
        "SELECT name, description, embedding_model, embedding_dimension FROM collections WHERE name = %s",
        (name,),
    ).fetchone()
    assert row is not None
    collection = Collection(*row)
    if (collection.embedding_model, collection.embedding_dimension) != (model_id, dimension):
        raise Conflict(
            f"Collection {name!r} holds {collection.embedding_model} vectors ({collection.embedding_dimension}-d); "
            f"it cannot take {model_id} ({dimension}-d).",
            code="embedding_model_mismatch",
        )
    ensure_vector_index(conn, model_id, dimension)
    return collection


def ensure_vector_index(conn: Connection[Any], model_id: str, dimension: int) -> None:
    """An HNSW cosine index over this model's vectors (partial, with the model's fixed dimension)."""
    suffix = hashlib.sha1(f"{model_id}:{dimension}".encode()).hexdigest()[:12]
    conn.execute(
        sql.SQL(
            "CREATE INDEX IF NOT EXISTS {} ON chunks USING hnsw ((embedding::vector({})) vector_cosine_ops) "
            "WHERE embedding_model = {}"
        ).format(sql.Identifier(f"chunks_hnsw_{suffix}"), sql.Literal(dimension), sql.Literal(model_id))
    )


def loaded_hashes(conn: Connection[Any], collection: str, source_ids: Sequence[str]) -> dict[str, bytes]:
    """content_hash of the given documents that are already loaded."""
    rows = conn.execute(
        "SELECT source_id, content_hash FROM documents WHERE collection = %s AND source_id = ANY(%s)",
        (collection, list(source_ids)),
    ).fetchall()
    return {source_id: bytes(digest) for source_id, digest in rows}


def replace_documents(
    conn: Connection[Any], collection: Collection, documents: Iterable[PreparedDocument], job_id: UUID | None
) -> int:
    """Insert or replace documents with their chunks in the caller's transaction; returns chunks written.

    Readers see the old version or the new one, never half of either (one transaction).
    """
    register_vector(conn)
    documents = list(documents)
    if not documents:
        return 0
    conn.execute(
        "DELETE FROM documents WHERE collection = %s AND source_id = ANY(%s)",
        (collection.name, [d.source_id for d in documents]),
    )
    ids = [uuid4() for _ in documents]
    with conn.cursor() as cur:
        with cur.copy(
            "COPY documents (id, collection, source_id, source_uri, title, content_hash, metadata, chunk_count,"
            " job_id) FROM STDIN"
        ) as copy:
            for doc_id, doc in zip(ids, documents, strict=True):
                copy.write_row(
                    (
                        doc_id,
                        collection.name,
                        doc.source_id,
                        doc.source_uri,
                        doc.title,
                        doc.content_hash,
                        json.dumps(doc.metadata, ensure_ascii=False),
                        len(doc.chunks),
                        job_id,
                    )
                )
        written = 0
        with cur.copy(
            "COPY chunks (document_id, collection, ordinal, text, lexemes, embedding_model, embedding, metadata)"
            " FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "text", "int4", "text", "text", "text", "vector", "jsonb"])
            for doc_id, doc in zip(ids, documents, strict=True):
                for chunk in doc.chunks:
                    copy.write_row(
                        (
                            doc_id,
                            collection.name,
                            chunk.ordinal,
                            chunk.text,
                            chunk.lexemes,
                            collection.embedding_model,
                            np.asarray(chunk.embedding, dtype=np.float32),
                            Jsonb(chunk.metadata),
                        )
                    )
                    written += 1
    return written


def prune_documents(conn: Connection[Any], collection: str, keep_source_ids: Iterable[str]) -> int:
    """Delete the collection's documents whose source id is not in `keep_source_ids`."""
    cur = conn.execute(
        "DELETE FROM documents WHERE collection = %s AND NOT (source_id = ANY(%s))",
        (collection, list(keep_source_ids)),
    )
    return cur.rowcount


def collection_is_empty(conn: Connection[Any], name: str) -> bool:
    row = conn.execute(
        "SELECT NOT EXISTS (SELECT 1 FROM documents WHERE collection = %s)", (name,)
    ).fetchone()
    return bool(row and row[0])


def collection_names(conn: Connection[Any]) -> list[str]:
    return [row[0] for row in conn.execute("SELECT name FROM collections ORDER BY name").fetchall()]
