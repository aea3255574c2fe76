"""REST chat: one non-streaming turn (the WebSocket's pipeline), the user's sessions, feedback."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query, Request, Response
from fastapi.responses import JSONResponse

from octag import db
from octag.chat import sessions
from octag.chat.pipeline import record_feedback, report_error, run_turn
from octag.chat.schema import FeedbackRequest, TurnRequest, TurnResult
from octag.web import create_app, lambda_handler, unexpected_error
from octag.web.auth import CurrentUser

app = create_app("chat")


@app.exception_handler(Exception)
async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """As every other function answers, and the failure goes to the critical event queue."""
    report_error(None, f"rest:{request.method} {request.url.path}", exc)
    return await unexpected_error(request, exc)


@app.post("/api/chat")
def chat(body: TurnRequest, user: CurrentUser) -> TurnResult:
    return run_turn(user.id, body)


@app.get("/api/chat/sessions")
def list_sessions(
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    with db.connection() as conn:
        found, next_cursor = sessions.list_sessions(conn, user.id, limit=limit, cursor=cursor)
    return {"sessions": found, "next_cursor": next_cursor}


@app.get("/api/chat/sessions/{session_id}/messages")
def list_messages(
    session_id: UUID,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    with db.connection() as conn:
        found, next_before = sessions.list_messages(conn, user.id, session_id, limit=limit, before=before)
    return {"messages": found, "next_cursor": next_before}


@app.delete("/api/chat/sessions/{session_id}", status_code=204)
def delete_session(session_id: UUID, user: CurrentUser) -> Response:
    with db.connection() as conn:
        sessions.delete_session(conn, user.id, session_id)
    return Response(status_code=204)


@app.post("/api/chat/feedback", status_code=202)
def feedback(body: FeedbackRequest, user: CurrentUser) -> dict[str, str]:
    return {"event_id": str(record_feedback(user.id, body))}


handler = lambda_handler(app)
