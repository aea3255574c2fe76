"""The shared layer ships the `octag` package under `python/`, bundled without Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from infra_cdk import layer
from infra_cdk.layer import LayerBundling

pytestmark = pytest.mark.slow


def test_layer_asset_holds_the_octag_package_alone(
    template_files: dict[str, Path], templates: dict[str, dict[str, Any]]
) -> None:
    (content,) = [
        r["Properties"]["Content"]
        for r in templates["OctagApi"]["Resources"].values()
        if r["Type"] == "AWS::Lambda::LayerVersion"
    ]
    asset = template_files["OctagApi"].parent / f"asset.{content['S3Key'].removesuffix('.zip')}"

    assert [p.name for p in asset.iterdir()] == ["python"]
    assert (asset / "python" / "octag" / "manifest.py").is_file()
    assert not [p for p in asset.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]


def test_dependencies_are_wheels_for_the_lambda_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands: list[list[str]] = []
    monkeypatch.setattr(layer.subprocess, "run", lambda command, check: commands.append(command))

    bundling = LayerBundling("python3.12", "arm64", with_dependencies=True)
    assert bundling.try_bundle(str(tmp_path), image=cdk.DockerImage.from_registry("never-pulled"))

    (command,) = commands
    assert {
        option: command[command.index(option) + 1]
        for option in ("--target", "--platform", "--python-version")
    } == {
        "--target": str(tmp_path / "python"),
        "--platform": "manylinux2014_aarch64",
        "--python-version": "3.12",
    }
    assert "--only-binary=:all:" in command
    assert command[-len(layer.runtime_dependencies()) :] == layer.runtime_dependencies()
    assert (tmp_path / "python" / "octag" / "manifest.py").is_file()
