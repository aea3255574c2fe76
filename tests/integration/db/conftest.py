from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.db.servers import Holder


@pytest.fixture
def hold_server() -> Iterator[Callable[[Path], Holder]]:
    """Starts `Holder` processes; those the test did not release or kill are released after it."""
    started: list[Holder] = []

    def start(data_dir: Path) -> Holder:
        started.append(holder := Holder(data_dir))
        return holder

    yield start
    for holder in started:
        if holder.process.poll() is None:
            holder.release()
