"""Retrieval API: hybrid search over a collection for any signed-in user."""

from typing import Any

from octag import db
from octag.search.hybrid import SearchQuery, search
from octag.web import create_app, lambda_handler
from octag.web.auth import CurrentClaims

app = create_app("rag")


@app.post("/api/rag/search")
def search_collection(body: SearchQuery, claims: CurrentClaims) -> dict[str, Any]:
    with db.connection() as conn:
        hits = search(conn, body)
    return {"query": body.query, "collection": body.collection, "results": [hit.model_dump() for hit in hits]}


handler = lambda_handler(app)
