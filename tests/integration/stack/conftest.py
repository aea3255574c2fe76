"""Whole `octag up` stacks as subprocesses, as a developer runs them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.stack.running import RunningStack, start_stack


@pytest.fixture
def stack_factory(_local_state_root: Path) -> Iterator:
    started: list[RunningStack] = []

    def factory(name: str = "stack", data_dir: Path | None = None) -> RunningStack:
        stack = start_stack(data_dir or Path(tempfile.mkdtemp(prefix=name, dir=_local_state_root)))
        started.append(stack)
        return stack

    yield factory
    for stack in started:
        if stack.process.poll() is None:
            stack.terminate()


@pytest.fixture(scope="module")
def stack(_local_state_root: Path) -> Iterator[RunningStack]:
    running = start_stack(Path(tempfile.mkdtemp(prefix="octag", dir=_local_state_root)))
    yield running
    if running.process.poll() is None:
        running.terminate()
