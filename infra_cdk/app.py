"""The Octag CDK app: `python -m infra_cdk.app` (or `cdk synth`) writes `cdk.out` offline.

Stacks are environment-agnostic unless the CDK CLI supplies an account and region.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra_cdk.api_stack import ApiStack
from infra_cdk.data_stack import DataStack
from octag.manifest import Manifest, default_manifest

CDK_JSON = Path(__file__).resolve().parents[1] / "cdk.json"


def create_app(
    *, outdir: str | None = None, manifest: Manifest | None = None, context: Mapping[str, Any] | None = None
) -> cdk.App:
    """The app with `cdk.json`'s context (so tests synthesize what `cdk synth` does) under `context`."""
    with open(CDK_JSON, encoding="utf-8") as f:
        defaults = json.load(f).get("context", {})
    app = cdk.App(
        outdir=outdir or os.environ.get("CDK_OUTDIR", "cdk.out"), context={**defaults, **(context or {})}
    )
    manifest = manifest or default_manifest()
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    data = DataStack(app, "OctagData", manifest=manifest, env=env)
    ApiStack(app, "OctagApi", manifest=manifest, data=data, env=env)
    return app


if __name__ == "__main__":
    create_app().synth()
