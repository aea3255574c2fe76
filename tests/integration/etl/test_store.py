"""Collections, atomic document replacement with COPY, pruning — against real PostgreSQL + pgvector."""

from __future__ import annotations

import pytest

from octag import db
from octag.errors import Conflict, InvalidInput
from octag.etl.store import (
    PreparedChunk,
    PreparedDocument,
    collection_is_empty,
    content_hash,
    ensure_collection,
    loaded_hashes,
    prune_documents,
    replace_documents,
)


def _doc(source_id: str, text: str, dim: int = 4) -> PreparedDocument:
    chunks = [
        PreparedChunk(i, part, part.lower(), [float(i + 1)] + [0.0] * (dim - 1), {"n": i})
        for i, part in enumerate(text.split("|"))
    ]
    return PreparedDocument(
        source_id, f"file://{source_id}", None, content_hash(text, None, {}), {"k": "v"}, chunks
    )


def test_documents_are_replaced_whole_and_pruned(octag_db):
    with db.connection() as conn:
        collection = ensure_collection(conn, "docs", "test-model", 4)
        assert collection_is_empty(conn, "docs")
        assert replace_documents(conn, collection, [_doc("a", "one|two"), _doc("b", "three")], None) == 3
    with db.connection() as conn:
        assert replace_documents(conn, collection, [_doc("a", "uno")], None) == 1
        rows = conn.execute(
            "SELECT d.source_id, c.ordinal, c.text, c.tsv::text, c.embedding::text, c.metadata FROM chunks c"
            " JOIN documents d ON d.id = c.document_id ORDER BY 1, 2"
        ).fetchall()
        assert rows == [
            ("a", 0, "uno", "'uno':1", "[1,0,0,0]", {"n": 0}),
            ("b", 0, "three", "'three':1", "[1,0,0,0]", {"n": 0}),
        ]
        assert set(loaded_hashes(conn, "docs", ["a", "b", "c"])) == {"a", "b"}
        assert prune_documents(conn, "docs", ["a"]) == 1
        assert conn.execute("SELECT count(*) FROM chunks").fetchone() == (1,)


def test_a_failed_write_leaves_the_old_version_visible(octag_db):
    with db.connection() as conn:
        collection = ensure_collection(conn, "docs", "test-model", 4)
        replace_documents(conn, collection, [_doc("a", "old")], None)
    with pytest.raises(Exception), db.connection() as conn:  # noqa: B017 - any DB error rolls back
        replace_documents(conn, collection, [_doc("a", "new"), _doc("a", "duplicate id")], None)
    with db.connection() as conn:
        assert conn.execute("SELECT text FROM chunks").fetchall() == [("old",)]


def test_collections_keep_one_embedding_model(octag_db):
    with db.connection() as conn:
        ensure_collection(conn, "docs", "model-a", 4)
        with pytest.raises(Conflict):
            ensure_collection(conn, "docs", "model-b", 8)
        with pytest.raises(InvalidInput):
            ensure_collection(conn, "Bad Name!", "model-a", 4)
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'chunks'")}
        assert any(name.startswith("chunks_hnsw_") for name in indexes)
