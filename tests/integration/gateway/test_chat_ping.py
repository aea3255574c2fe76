"""The real chat function behind the real route manifest: `ping` answers `pong` via @connections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from websockets.sync.client import connect

from octag.manifest import default_manifest
from tests.integration.gateway.support import HANG_GUARD, RunningGateway, receive_json


@pytest.fixture(scope="module")
def main_gateway() -> Iterator[RunningGateway]:
    # The chat function needs no database for ping: only where @connections lives. Nor a signed-in
    # caller: `$connect`'s authorizer is left out here (tests/integration/auth covers it).
    manifest = default_manifest()
    assert manifest.websocket is not None
    routes = {key: replace(route, authorizer=None) for key, route in manifest.websocket.routes.items()}
    manifest = replace(manifest, websocket=replace(manifest.websocket, routes=routes))
    with RunningGateway(manifest, lambda gw: {"WEBSOCKET_ENDPOINT_URL": gw.management_url}) as running:
        yield running


def test_ping_answers_pong(main_gateway: RunningGateway) -> None:
    with connect(main_gateway.gateway.ws_url, open_timeout=HANG_GUARD) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert receive_json(ws) == {"type": "pong"}


def test_unknown_action_answers_an_error_frame(main_gateway: RunningGateway) -> None:
    with connect(main_gateway.gateway.ws_url, open_timeout=HANG_GUARD) as ws:
        ws.send(json.dumps({"action": "dance"}))
        assert receive_json(ws)["code"] == "unknown_action"
