"""The WebSocket API: its routes on Lambda integrations, the `$connect` authorizer, the stage."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from octag.manifest import AuthorizerSpec, WebSocketApiSpec

ENDPOINT_VARIABLE = "WEBSOCKET_ENDPOINT_URL"  # where functions post frames to (`@connections`)


class ManifestWebSocketApi(Construct):
    """The manifest's WebSocket API; the functions behind its routes may post to its connections."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: WebSocketApiSpec,
        functions: Mapping[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigwv2.WebSocketApi(
            self, "Api", api_name=spec.name, route_selection_expression=spec.route_selection_expression
        )
        self.stage = apigwv2.WebSocketStage(
            self, "Stage", web_socket_api=self.api, stage_name=spec.stage, auto_deploy=True
        )
        route_functions = sorted({route.function for route in spec.routes.values()})
        integrations = {
            name: WebSocketLambdaIntegration(f"{name}-integration", functions[name])
            for name in route_functions
        }
        for route in spec.routes.values():
            self.api.add_route(
                route.route_key,
                integration=integrations[route.function],
                authorizer=_authorizer(spec.authorizers[route.authorizer], functions)
                if route.authorizer
                else None,
            )
        for name in route_functions:
            self.api.grant_manage_connections(functions[name])
            functions[name].add_environment(ENDPOINT_VARIABLE, self.stage.callback_url)


def _authorizer(
    spec: AuthorizerSpec, functions: Mapping[str, lambda_.IFunction]
) -> WebSocketLambdaAuthorizer:
    return WebSocketLambdaAuthorizer(
        spec.name,
        functions[spec.function],
        authorizer_name=spec.name,
        identity_source=[
            *(f"route.request.header.{h}" for h in spec.identity_headers),
            *(f"route.request.querystring.{q}" for q in spec.identity_query),
        ],
    )
