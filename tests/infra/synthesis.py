"""Synthesizing the CDK app for tests, without the CDK CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra_cdk.app import create_app
from octag.manifest import Manifest


def synthesize(outdir: Path, manifest: Manifest | None = None) -> dict[str, Path]:
    """Synthesize the app into `outdir`; the template file of each stack, by stack name."""
    assembly = create_app(outdir=str(outdir), manifest=manifest).synth()
    return {stack.stack_name: Path(stack.template_full_path) for stack in assembly.stacks}


def load_templates(files: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {name: json.loads(path.read_text()) for name, path in files.items()}
