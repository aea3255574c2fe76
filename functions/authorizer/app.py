"""API Gateway REQUEST authorizer for REST routes and WebSocket `$connect`: a valid access JWT or 401."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from octag.auth.authorizer import allow_policy, authorizer_token
from octag.auth.tokens import verify_access_token
from octag.errors import OctagError

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = authorizer_token(event)
    try:
        if token is None:
            raise OctagError("no access token", code="missing_token")
        return allow_policy(verify_access_token(token), event["methodArn"])
    except OctagError as exc:
        logger.info("access token refused", extra={"code": exc.code})
        # The one message API Gateway turns into 401; anything else it answers with 500.
        raise Exception("Unauthorized") from None
