"""The synthesized CDK app declares exactly what template-local.yml declares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from octag.manifest import DEFAULT_TEMPLATE, PROJECT_ROOT, default_manifest, load_template, parse_manifest
from tests.infra.infra_surface import cloud_surface, differences, manifest_surface
from tests.infra.synthesis import load_templates, synthesize

pytestmark = pytest.mark.slow


def test_synthesized_app_matches_the_manifest(templates: dict[str, dict[str, Any]]) -> None:
    assert differences(manifest_surface(default_manifest()), cloud_surface(templates)) == []


def test_the_surface_covers_every_kind_of_resource(templates: dict[str, dict[str, Any]]) -> None:
    # Guards the comparison itself: an extractor that finds nothing would agree with an empty manifest.
    cloud = cloud_surface(templates)
    manifest = default_manifest()
    assert len(cloud.rest_routes) == len(manifest.rest_routes) > 0
    assert cloud.websocket_routes and cloud.functions and cloud.queues and cloud.sqs_sources
    assert cloud.schedules and cloud.tables and cloud.buckets and cloud.topics


def _changed_template(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of template-local.yml with `change(resources)` applied (intrinsics in long form)."""
    doc = load_template(DEFAULT_TEMPLATE)
    for props in (r.get("Properties") or {} for r in doc["Resources"].values()):
        if "CodeUri" in props:  # keep pointing at the real function folders
            props["CodeUri"] = str(PROJECT_ROOT / props["CodeUri"])
    change(doc["Resources"])
    path = tmp_path / "template.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _extra_route(resources: dict[str, Any]) -> None:
    resources["HealthFunction"]["Properties"]["Events"]["Deep"] = {
        "Type": "Api",
        "Properties": {"Path": "/api/health/deep", "Method": "GET"},
    }


def _more_receives(resources: dict[str, Any]) -> None:
    resources["CriticalEventsQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 6


def _hourly_to_daily(resources: dict[str, Any]) -> None:
    resources["MaintenanceFunction"]["Properties"]["Events"]["Hourly"]["Properties"]["Schedule"] = (
        "rate(1 day)"
    )


def _no_ping(resources: dict[str, Any]) -> None:
    del resources["PingRoute"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_extra_route, ["rest_routes: missing ('GET', '/api/health/deep', 'health', None)"]),
        (
            _more_receives,
            [
                "queues: missing ('octag-critical-events', False, 360, 345600, 'octag-critical-events-dlq', 6)",
                "queues: unexpected ('octag-critical-events', False, 360, 345600, 'octag-critical-events-dlq', 5)",
            ],
        ),
        (
            _hourly_to_daily,
            [
                "schedules: missing ('rate(1 day)', 'maintenance', True)",
                "schedules: unexpected ('rate(1 hour)', 'maintenance', True)",
            ],
        ),
        (_no_ping, ["websocket_routes: unexpected ('ping', 'chat', None)"]),
    ],
)
def test_a_changed_manifest_is_reported(
    tmp_path: Path,
    templates: dict[str, dict[str, Any]],
    change: Callable[[dict[str, Any]], None],
    expected: list[str],
) -> None:
    changed = parse_manifest(_changed_template(tmp_path, change))
    assert differences(manifest_surface(changed), cloud_surface(templates)) == expected


def _with_authorizers(resources: dict[str, Any]) -> None:
    resources["AuthorizerFunction"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {"CodeUri": "authorizer", "Handler": "app.handler"},  # next to the template
    }
    resources["RestApi"]["Properties"]["Auth"] = {
        "DefaultAuthorizer": "JwtAuthorizer",
        "Authorizers": {
            "JwtAuthorizer": {
                "FunctionPayloadType": "REQUEST",
                "FunctionArn": {"Fn::GetAtt": ["AuthorizerFunction", "Arn"]},
                "Identity": {"Headers": ["Authorization"], "ReauthorizeEvery": 60},
            }
        },
    }
    health = resources["HealthFunction"]["Properties"]["Events"]["Health"]["Properties"]
    health["Auth"] = {"Authorizer": "NONE"}
    _extra_route(resources)  # guarded by the default authorizer
    resources["ConnectAuthorizer"] = {
        "Type": "AWS::ApiGatewayV2::Authorizer",
        "Properties": {
            "ApiId": {"Ref": "WebSocketApi"},
            "Name": "ConnectAuthorizer",
            "AuthorizerType": "REQUEST",
            "AuthorizerUri": {
                "Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                "${AuthorizerFunction.Arn}/invocations"
            },
            "IdentitySource": ["route.request.querystring.token"],
        },
    }
    resources["ConnectRoute"]["Properties"].update(
        {"AuthorizationType": "CUSTOM", "AuthorizerId": {"Ref": "ConnectAuthorizer"}}
    )


def test_authorizers_follow_the_manifest(tmp_path: Path) -> None:
    template = _changed_template(tmp_path, _with_authorizers)
    (tmp_path / "authorizer").mkdir()
    (tmp_path / "authorizer" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    manifest = parse_manifest(template)
    cloud = cloud_surface(load_templates(synthesize(tmp_path / "cdk.out", manifest)))

    assert differences(manifest_surface(manifest), cloud) == []
    assert ("GET", "/api/health/deep", "health", "JwtAuthorizer") in cloud.rest_routes
    assert cloud.rest_authorizers == {("JwtAuthorizer", "authorizer", ("header.Authorization",))}
    assert ("$connect", "chat", "ConnectAuthorizer") in cloud.websocket_routes
    assert cloud.websocket_authorizers == {("ConnectAuthorizer", "authorizer", ("querystring.token",))}
