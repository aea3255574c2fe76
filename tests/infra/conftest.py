"""One synthesis of the CDK app per test session, shared by the parity and lint tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.infra.synthesis import load_templates, synthesize


@pytest.fixture(scope="session")
def template_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def templates(template_files: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return load_templates(template_files)
