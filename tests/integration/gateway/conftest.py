"""Gateways shared by the gateway tests: the test template, and one without `$default`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from local.gateway import Gateway
from octag.manifest import parse_manifest
from tests.integration.gateway.support import FIXTURES, TEMPLATE, Recorder, RunningGateway


@pytest.fixture(scope="session")
def recorder(tmp_path_factory: pytest.TempPathFactory) -> Recorder:
    return Recorder(tmp_path_factory.mktemp("gateway"))


def _test_environment(recorder: Recorder) -> Callable[[Gateway], Mapping[str, str]]:
    return lambda gateway: {
        "WEBSOCKET_ENDPOINT_URL": gateway.management_url,
        "EVENTS_DIR": str(recorder.events_dir),
        "AUTHORIZER_LOG": str(recorder.authorizer_log),
    }


@pytest.fixture(scope="session")
def running(recorder: Recorder) -> Iterator[RunningGateway]:
    with RunningGateway(parse_manifest(TEMPLATE), _test_environment(recorder)) as running:
        yield running


@pytest.fixture(scope="session")
def gateway(running: RunningGateway) -> Gateway:
    return running.gateway


@pytest.fixture(scope="session")
def no_default_gateway(recorder: Recorder) -> Iterator[RunningGateway]:
    """A WebSocket API without `$default` whose connections idle out after 1 s."""
    manifest = parse_manifest(FIXTURES / "gateway" / "template-no-default.yml")
    with RunningGateway(manifest, _test_environment(recorder), idle_timeout=1) as running:
        yield running
