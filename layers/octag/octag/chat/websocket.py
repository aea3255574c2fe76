"""Routes WebSocket frames from API Gateway to their use cases.

`$connect` (after the authorizer) registers the connection, `$disconnect` removes it; `sendMessage`
runs a chat turn streamed as `ack`, `chunk`…, `done` frames; `feedback` records a verdict on a
recommendation; `ping` answers `pong`. Anything else gets an `error` frame and the connection stays
usable. A client that leaves mid-answer stops the frames, not the turn: it is still persisted.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent
from pydantic import BaseModel, ValidationError

from octag.chat import connections
from octag.chat.pipeline import new_session_id, record_feedback, report_error, run_turn
from octag.chat.schema import FeedbackRequest, TurnRequest
from octag.chat.sender import ConnectionSender, management_endpoint
from octag.errors import InvalidInput, OctagError, Unauthorized

logger = Logger(child=True)
OK = {"statusCode": 200}
ACTIONS = ("sendMessage", "feedback", "ping")  # routes besides $connect, $disconnect, $default
M = TypeVar("M", bound=BaseModel)


def route_frame(event: APIGatewayWebSocketEvent) -> dict[str, Any]:
    ctx = event.request_context
    route = ctx.route_key
    user_id = str((ctx.get("authorizer") or {}).get("user_id") or "") or None
    if route == "$connect":  # the authorizer has admitted the caller
        if user_id is not None:
            connections.register(ctx.connection_id, user_id)
        return OK
    if route == "$disconnect":
        connections.remove(ctx.connection_id)
        return OK
    sender = ConnectionSender(management_endpoint(ctx.domain_name, ctx.stage), ctx.connection_id)
    try:
        _dispatch(route, event.body or "", user_id, sender)
    except OctagError as exc:
        sender.send(_error_frame(route, exc.code, exc.message))
    except Exception as exc:
        logger.exception("frame failed", extra={"route": route})
        report_error(user_id, f"websocket:{route}", exc)
        sender.send(_error_frame(route, "internal_error", "Something went wrong on our side."))
    if sender.gone:
        connections.remove(ctx.connection_id)
    return OK


def _dispatch(route: str, body: str, user_id: str | None, sender: ConnectionSender) -> None:
    if route == "ping":
        sender.send({"type": "pong"})
        return
    frame = _json_object(body)
    if frame is None:
        raise OctagError("Send a JSON object with an `action`.", code="invalid_frame")
    if route not in ACTIONS:
        raise OctagError(
            f"Unknown action {frame.get('action')!r}: use one of {', '.join(ACTIONS)}.", code="unknown_action"
        )
    if user_id is None:
        raise Unauthorized("This connection is not signed in.")
    fields = {key: value for key, value in frame.items() if key != "action"}
    if route == "sendMessage":
        _chat(user_id, _parse(TurnRequest, fields), sender)
    else:
        feedback = _parse(FeedbackRequest, fields)
        event_id = record_feedback(user_id, feedback)
        sender.send({"type": "feedback_ack", "event_id": str(event_id), **feedback.model_dump(mode="json")})


def _error_frame(route: str, code: str, message: str) -> dict[str, Any]:
    """An `error` frame, naming the action it answers when there is one."""
    frame = {"type": "error", "code": code, "message": message}
    return frame | {"action": route} if route in ACTIONS else frame


def _chat(user_id: str, request: TurnRequest, sender: ConnectionSender) -> None:
    session_id = request.session_id or new_session_id()
    sender.send({"type": "ack", "session_id": str(session_id)})
    result = run_turn(
        user_id,
        request,
        session_id=session_id,
        on_chunk=lambda text: sender.send({"type": "chunk", "text": text}),
    )
    sender.send({"type": "done", **result.model_dump(mode="json")})


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _parse(model: type[M], fields: dict[str, Any]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'frame'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidInput(problems) from None
