"""A real moto server per test, the fixture template provisioned on it, real worker processes."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.aws_endpoint import LocalAwsEndpoint, local_client
from local.event_sources import SqsEventSourcePoller
from local.lambda_runtime import LambdaRuntime
from local.provision import LocalResources, provision
from octag.manifest import FunctionSpec, Manifest, parse_manifest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "event_sources"
REGION = "ap-northeast-2"
HANG_GUARD = 60.0  # seconds; only ever reached when something is broken


@dataclass
class FixtureStack:
    manifest: Manifest
    endpoint_url: str
    resources: LocalResources
    log_dir: Path

    def client(self, service: str) -> Any:
        return local_client(service, self.endpoint_url, REGION)

    def function_environment(self, spec: FunctionSpec) -> dict[str, str]:
        return {**self.resources.environment(spec), "EVENT_LOG_DIR": str(self.log_dir)}

    def runtime(self) -> LambdaRuntime:
        return LambdaRuntime(self.manifest, self.function_environment)

    def logged(self, name: str) -> list[dict[str, Any]]:
        path = self.log_dir / f"{name}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    @asynccontextmanager
    async def consuming(self, *queues: str) -> AsyncIterator[None]:
        """Run the template's pollers for the given queue logical ids while the block runs."""
        runtime = self.runtime()
        sqs = self.client("sqs")
        pollers = [
            SqsEventSourcePoller(
                source,
                self.manifest.queues[source.queue],
                self.resources.refs[source.queue],
                self.resources.attrs[(source.queue, "Arn")],
                runtime,
                sqs,
            )
            for source in self.manifest.sqs_sources
            if source.queue in queues
        ]
        assert len(pollers) == len(queues)
        tasks = [asyncio.create_task(p.run()) for p in pollers]
        try:
            yield
        finally:
            for poller in pollers:
                poller.stop()
            await asyncio.wait_for(asyncio.gather(*tasks), HANG_GUARD)
            await runtime.close()


@pytest.fixture(scope="session")
def endpoint_url() -> Iterator[str]:
    with LocalAwsEndpoint() as endpoint:
        yield endpoint.start()


@pytest.fixture
def stack(endpoint_url: str, tmp_path: Path) -> FixtureStack:
    """The fixture template freshly provisioned: moto's state is reset first."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint_url}/moto-api/reset", method="POST")).close()
    manifest = parse_manifest(FIXTURES / "template.yml")
    return FixtureStack(manifest, endpoint_url, provision(manifest, endpoint_url, REGION), tmp_path)


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """Poll `check` (run in a thread: it may call boto3) until it returns something truthy."""
    deadline = time.monotonic() + HANG_GUARD
    while time.monotonic() < deadline:
        if result := await asyncio.to_thread(check):
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
