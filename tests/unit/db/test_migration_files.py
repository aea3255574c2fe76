from __future__ import annotations

from pathlib import Path

import pytest

from octag.db.migrations import MIGRATIONS_DIR, MigrationError, load_migrations


def test_package_ships_the_foundation_migration_first() -> None:
    migrations = load_migrations()
    assert (migrations[0].version, migrations[0].name) == (1, "foundation")
    assert migrations[0].path.parent == MIGRATIONS_DIR


def test_migrations_are_ordered_by_version_not_by_name_length(tmp_path: Path) -> None:
    for name in ("0010_later.sql", "0002_second.sql", "0001_first.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    assert [m.version for m in load_migrations(tmp_path)] == [1, 2, 10]


def test_checksum_covers_the_exact_bytes_including_line_endings(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_bytes(b"SELECT 1;\r\n")
    assert (
        load_migrations(tmp_path)[0].checksum
        == "d3cd5042f97738960d802ad6b3a548dfa18152215118ba18f04493bc6944b0e4"
    )


def test_a_misnamed_sql_file_is_rejected_by_name(tmp_path: Path) -> None:
    (tmp_path / "1_first.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"1_first\.sql.*NNNN_name\.sql"):
        load_migrations(tmp_path)


def test_two_files_with_one_version_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "0001_other.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="share version 1"):
        load_migrations(tmp_path)


def test_a_missing_directory_is_a_migration_error(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")
