"""The serving side: layer, functions, REST and WebSocket APIs, queue consumers and schedules."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from infra_cdk.data_stack import DataStack
from infra_cdk.lambdas import ManifestFunctions, layer_platform
from infra_cdk.layer import OctagLayer
from infra_cdk.rest_api import ManifestRestApi
from infra_cdk.websocket_api import ManifestWebSocketApi
from octag.manifest import Manifest


class ApiStack(cdk.Stack):
    """Everything that runs code, declared from the manifest; state comes from the `DataStack`."""

    def __init__(
        self, scope: Construct, construct_id: str, *, manifest: Manifest, data: DataStack, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        runtime, architecture = layer_platform(manifest)
        layer = OctagLayer(self, "OctagLayer", runtime=runtime, architecture=architecture)
        functions = ManifestFunctions(
            self, "Functions", manifest=manifest, layer=layer.layer, data=data
        ).by_name

        for source in manifest.sqs_sources:
            window = source.batching_window_seconds
            functions[source.function].add_event_source(
                event_sources.SqsEventSource(
                    data.queues[source.queue],
                    batch_size=source.batch_size,
                    max_batching_window=cdk.Duration.seconds(window) if window else None,
                    report_batch_item_failures=source.report_batch_item_failures,
                    enabled=source.enabled,
                )
            )
        for schedule in manifest.schedules:
            events.Rule(
                self,
                schedule.name,
                schedule=events.Schedule.expression(schedule.expression),
                enabled=schedule.enabled,
                targets=[
                    targets.LambdaFunction(functions[schedule.function], event=_rule_input(schedule.input))
                ],
            )

        if manifest.rest_routes:
            rest = ManifestRestApi(self, "Rest", manifest=manifest, functions=functions)
            cdk.CfnOutput(self, "RestApiUrl", value=rest.api.url)
        if manifest.websocket:
            websocket = ManifestWebSocketApi(self, "WebSocket", spec=manifest.websocket, functions=functions)
            cdk.CfnOutput(self, "WebSocketUrl", value=websocket.stage.url)
            cdk.CfnOutput(self, "ConnectionsUrl", value=websocket.stage.callback_url)


def _rule_input(value: Any) -> events.RuleTargetInput | None:
    """SAM's schedule `Input` is JSON text; the rule target takes the object."""
    if value is None:
        return None
    return events.RuleTargetInput.from_object(json.loads(value) if isinstance(value, str) else value)
