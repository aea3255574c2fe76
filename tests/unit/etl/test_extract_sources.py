"""Resolving local paths, directories and globs to sources, and the ids that follow from them."""

from __future__ import annotations

from pathlib import Path

import pytest

from octag.etl.documents import SourceDocument
from octag.etl.extract import Source, extract, resolve_sources


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in ("docs/a.md", "docs/sub/b.txt", "docs/sub/deeper/c.md", "docs/.hidden.md", "docs/.git/x.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {Path(name).stem}\n")
    (tmp_path / "empty").mkdir()
    return tmp_path


def _relative(sources: list[Source]) -> list[str]:
    return [s.relative for s in sources]


def test_directories_are_walked_recursively_in_order_without_hidden_names(tree: Path) -> None:
    sources = resolve_sources([str(tree / "docs")])
    assert _relative(sources) == ["a.md", "sub/b.txt", "sub/deeper/c.md"]
    assert sources[1].uri == str(tree / "docs/sub/b.txt")


def test_globs_are_relative_to_their_base_and_a_file_alone_to_its_name(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _relative(resolve_sources([str(tree / "docs/**/*.md")])) == ["a.md", "sub/deeper/c.md"]
    assert _relative(resolve_sources([str(tree / "docs/s*")])) == ["sub/b.txt", "sub/deeper/c.md"]
    monkeypatch.chdir(tree)
    assert _relative(resolve_sources(["docs/sub/*.txt", "docs/sub/b.txt", "docs/a.md"])) == ["b.txt", "a.md"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing.md", "no such file or directory: .*missing.md"),
        ("empty", "no files in directory .*empty"),
        ("docs/*.pdf", r"nothing matches .*docs/\*\.pdf"),
    ],
)
def test_a_path_that_matches_nothing_is_an_error_naming_it(tree: Path, path: str, message: str) -> None:
    with pytest.raises(FileNotFoundError, match=message):
        resolve_sources([str(tree / "docs/a.md"), str(tree / path)])


def test_sources_keep_ids_relative_to_their_root_through_extract(tree: Path) -> None:
    nested = str(tree / "docs/sub/deeper/c.md")
    from_sources = [
        d.source_id for d in extract(resolve_sources([str(tree / "docs")])) if isinstance(d, SourceDocument)
    ]
    assert from_sources == ["a.md", "sub/b.txt", "sub/deeper/c.md"]
    assert [d.source_id for d in extract([nested])] == ["c.md"]
