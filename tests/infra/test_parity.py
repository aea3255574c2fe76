"""The synthesized CDK app declares exactly what template-local.yml declares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from octag.manifest import DEFAULT_TEMPLATE, PROJECT_ROOT, default_manifest, load_template, parse_manifest
from tests.infra.infra_surface import cloud_surface, differences, manifest_surface

pytestmark = pytest.mark.slow


def test_synthesized_app_matches_the_manifest(templates: dict[str, dict[str, Any]]) -> None:
    assert differences(manifest_surface(default_manifest()), cloud_surface(templates)) == []


def test_the_surface_covers_every_kind_of_resource(templates: dict[str, dict[str, Any]]) -> None:
    # Guards the comparison itself: an extractor that finds nothing would agree with an empty manifest.
    cloud = cloud_surface(templates)
    manifest = default_manifest()
    assert len(cloud.rest_routes) == len(manifest.rest_routes) > 0
    assert cloud.websocket_routes and cloud.functions and cloud.queues and cloud.sqs_sources
    assert cloud.schedules and cloud.tables and cloud.buckets and cloud.topics and cloud.secrets
    assert cloud.rest_authorizers and cloud.websocket_authorizers


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
        # A new route is guarded by the API's default authorizer unless it opts out.
        (_extra_route, ["rest_routes: missing ('GET', '/api/health/deep', 'health', 'OctagAuthorizer')"]),
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


def test_routes_are_authorized_unless_public(templates: dict[str, dict[str, Any]]) -> None:
    cloud = cloud_surface(templates)
    public = {path for _, path, _, authorizer in cloud.rest_routes if authorizer is None}

    assert public == {"/api/health", *(f"/api/auth/{a}" for a in ("register", "login", "refresh", "logout"))}
    assert ("GET", "/api/auth/me", "auth", "OctagAuthorizer") in cloud.rest_routes
    assert cloud.rest_authorizers == {("OctagAuthorizer", "authorizer", ("header.Authorization",), 300)}
    assert ("$connect", "chat", "WebSocketAuthorizer") in cloud.websocket_routes
    assert cloud.websocket_authorizers == {("WebSocketAuthorizer", "authorizer", ("querystring.token",))}
