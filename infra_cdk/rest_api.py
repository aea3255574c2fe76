"""The REST API: one resource tree for every manifest route, Lambda proxy integrations."""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from octag.manifest import Manifest

# API Gateway's own answers (authorizer refusals, unknown routes, throttling) in the project's error shape.
_GATEWAY_ERRORS = {
    apigateway.ResponseType.UNAUTHORIZED: "unauthorized",
    apigateway.ResponseType.ACCESS_DENIED: "forbidden",
    apigateway.ResponseType.DEFAULT_4_XX: "bad_request",
    apigateway.ResponseType.DEFAULT_5_XX: "internal_error",
}


class ManifestRestApi(Construct):
    """`manifest.rest_routes` on a REST API stage, with a REQUEST authorizer where a route names one."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        manifest: Manifest,
        functions: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name="octag",
            endpoint_types=[apigateway.EndpointType.REGIONAL],
            deploy_options=apigateway.StageOptions(stage_name=manifest.stage),
            cloud_watch_role=False,  # the account-wide API Gateway logging role is not this app's to own
        )
        for response_type, code in _GATEWAY_ERRORS.items():
            self.api.add_gateway_response(
                f"{code}-response",
                type=response_type,
                templates={
                    "application/json": f'{{"error": {{"code": "{code}", '
                    '"message": $context.error.messageString}}'
                },
            )
        self._functions = functions
        self._authorizer_specs = manifest.rest_authorizers
        self._authorizers: dict[str, apigateway.RequestAuthorizer] = {}
        # One integration per function, allowed on the whole API: one Lambda permission, not one per route.
        integrations = {
            name: apigateway.LambdaIntegration(functions[name], scope_permission_to_method=False)
            for name in sorted({route.function for route in manifest.rest_routes})
        }
        for route in manifest.rest_routes:
            self.api.root.resource_for_path(route.path.strip("/")).add_method(
                route.method,
                integrations[route.function],
                authorizer=self._authorizer(route.authorizer) if route.authorizer else None,
            )

    def _authorizer(self, name: str) -> apigateway.RequestAuthorizer:
        """The API's authorizer `name`, declared on first use (an unused one fails synthesis)."""
        if name not in self._authorizers:
            spec = self._authorizer_specs[name]
            self._authorizers[name] = apigateway.RequestAuthorizer(
                self,
                spec.name,
                authorizer_name=spec.name,
                handler=self._functions[spec.function],
                identity_sources=[
                    *(apigateway.IdentitySource.header(h) for h in spec.identity_headers),
                    *(apigateway.IdentitySource.query_string(q) for q in spec.identity_query),
                ],
                results_cache_ttl=cdk.Duration.seconds(spec.ttl_seconds),
            )
        return self._authorizers[name]
