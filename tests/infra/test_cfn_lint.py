"""cfn-lint finds nothing wrong with the route manifest or the synthesized templates."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from octag.manifest import DEFAULT_TEMPLATE

pytestmark = pytest.mark.slow

# W3005 (redundant DependsOn): CDK makes each function depend on its role's default policy and its role,
# though `Role: !GetAtt` already orders the role; harmless, and not ours to change.
SYNTHESIZED_IGNORES = ["W3005"]


def _findings(template: Path, ignore: list[str]) -> list[str]:
    matches = lint_file(template, config=ManualArgs(ignore_checks=ignore))
    return [f"{m.rule.id} {m.message} ({m.path})" for m in matches]


def test_route_manifest_lints_clean() -> None:
    assert _findings(DEFAULT_TEMPLATE, []) == []


def test_synthesized_templates_lint_clean(template_files: dict[str, Path]) -> None:
    assert {name: _findings(path, SYNTHESIZED_IGNORES) for name, path in template_files.items()} == {
        name: [] for name in template_files
    }
