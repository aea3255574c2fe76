"""Routes WebSocket frames from API Gateway to their use cases."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayWebSocketEvent

from octag.chat.sender import ConnectionSender, management_endpoint

OK = {"statusCode": 200}


def route_frame(event: APIGatewayWebSocketEvent) -> dict[str, Any]:
    ctx = event.request_context
    route = ctx.route_key
    if route in ("$connect", "$disconnect"):
        return OK
    sender = ConnectionSender(management_endpoint(ctx.domain_name, ctx.stage))
    if route == "ping":
        sender.send(ctx.connection_id, {"type": "pong"})
    else:
        sender.send(
            ctx.connection_id,
            {
                "type": "error",
                "code": "unknown_action",
                "message": 'Unknown action. Send {"action": "ping"}.',
            },
        )
    return OK
