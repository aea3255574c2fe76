"""One synthesis of the CDK app per test session, shared by the parity and lint tests."""

from __future__ import annotations

import os

# Debian's Node.js 20 still synthesizes correctly; jsii's end-of-life banner is noise in test logs.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

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
