"""Retrieval and language-understanding API for any signed-in user."""

from typing import Any

from pydantic import BaseModel, Field

from octag import db
from octag.nlu import Understanding, configured_analyzer
from octag.search.hybrid import SearchQuery, search
from octag.web import create_app, lambda_handler
from octag.web.auth import CurrentClaims

app = create_app("rag")


@app.post("/api/rag/search")
def search_collection(body: SearchQuery, claims: CurrentClaims) -> dict[str, Any]:
    with db.connection() as conn:
        hits = search(conn, body)
    return {"query": body.query, "collection": body.collection, "results": [hit.model_dump() for hit in hits]}


class AnalyzeRequest(BaseModel):
    message: str = Field(min_length=1, max_length=2000)


@app.post("/api/rag/analyze")
def analyze_message(body: AnalyzeRequest, claims: CurrentClaims) -> Understanding:
    with db.connection() as conn:
        analyzer = configured_analyzer(conn)
    return analyzer.analyze(body.message)


handler = lambda_handler(app)
