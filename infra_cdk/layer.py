"""The shared `octag` layer, bundled on this machine: no Docker."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.lambdas import lambda_architecture, lambda_runtime

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
LAYER_SOURCE = PROJECT_ROOT / "layers" / "octag"  # the template's ContentUri
BUNDLE_DEPENDENCIES = "octag:bundleDependencies"
_WHEEL_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def runtime_dependencies() -> list[str]:
    """The project's runtime requirements (pyproject `dependencies`): what the layer ships."""
    with open(PYPROJECT, "rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


@jsii.implements(cdk.ILocalBundling)
class LayerBundling:
    """Copies the `octag` package into `python/octag`; with dependencies, pip-installs Lambda wheels too."""

    def __init__(self, runtime: str, architecture: str, with_dependencies: bool) -> None:
        self.python_version = runtime.removeprefix("python")
        self.platform = _WHEEL_PLATFORMS[architecture]
        self.with_dependencies = with_dependencies

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_options: Any) -> bool:
        """Bundle into `output_dir`; jsii hands the (unused) bundling options over as keywords."""
        target = Path(output_dir) / "python"
        if self.with_dependencies:
            # Wheels for the Lambda platform; no bytecode, as this interpreter's would not match the runtime's.
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            wheels = ["--only-binary=:all:", "--implementation", "cp", "--platform", self.platform]
            into = ["--python-version", self.python_version, "--no-compile", "--target", str(target)]
            subprocess.run([*pip, *wheels, *into, *runtime_dependencies()], check=True)
        shutil.copytree(
            LAYER_SOURCE / "octag",
            target / "octag",
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        return True


class OctagLayer(Construct):
    """The `octag` layer every function uses.

    Third-party dependencies go in only with `-c octag:bundleDependencies=true` (for a deploy);
    a plain synth copies the package alone, offline.
    """

    def __init__(self, scope: Construct, construct_id: str, *, runtime: str, architecture: str) -> None:
        super().__init__(scope, construct_id)
        with_dependencies = str(self.node.try_get_context(BUNDLE_DEPENDENCIES)).lower() in ("true", "1")
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            layer_version_name="octag",
            description="Octag shared library" + (" with its dependencies" if with_dependencies else ""),
            code=lambda_.Code.from_asset(
                str(LAYER_SOURCE),
                # Hash what is shipped: the same sources bundle differently with dependencies.
                asset_hash_type=cdk.AssetHashType.OUTPUT,
                bundling=cdk.BundlingOptions(
                    # Only used if local bundling declined, which it never does.
                    image=cdk.DockerImage.from_registry(f"public.ecr.aws/sam/build-{runtime}"),
                    local=LayerBundling(runtime, architecture, with_dependencies),
                ),
            ),
            compatible_runtimes=[lambda_runtime(runtime)],
            compatible_architectures=[lambda_architecture(architecture)],
        )
