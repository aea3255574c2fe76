"""One Lambda function per manifest function, built from its `functions/<name>` folder."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.data_stack import DataStack
from octag.manifest import FunctionSpec, Manifest, ManifestError

FUNCTION_TAG = "octag:function"  # the manifest name of a function, on its resources
# Set on every deployed function in addition to the manifest's environment.
CLOUD_ENVIRONMENT = {"OCTAG_ENV": "aws"}
# Functions that ask the configured LLM (chat turns, NLU): Bedrock is the cloud's default provider.
LLM_FUNCTIONS = frozenset({"chat", "chat_api", "rag"})
_BEDROCK_MODELS = (
    "arn:aws:bedrock:*::foundation-model/*",
    "arn:aws:bedrock:*:*:inference-profile/*",
)
_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def lambda_runtime(name: str) -> lambda_.Runtime:
    if not name.startswith("python"):
        raise ManifestError(f"runtime {name!r}: only Python functions are supported")
    return lambda_.Runtime(name, lambda_.RuntimeFamily.PYTHON)


def lambda_architecture(name: str) -> lambda_.Architecture:
    try:
        return _ARCHITECTURES[name]
    except KeyError:
        raise ManifestError(f"unknown architecture {name!r}") from None


def layer_platform(manifest: Manifest) -> tuple[str, str]:
    """The one (runtime, architecture) every function shares, which the layer is built for."""
    platforms = {(spec.runtime, spec.architecture) for spec in manifest.functions.values()}
    if len(platforms) != 1:
        raise ManifestError(f"functions must share one runtime and architecture, found {sorted(platforms)}")
    return next(iter(platforms))


class ManifestFunctions(Construct):
    """The manifest's functions with the shared layer, their resolved environment and the grants it implies.

    A function may use every resource its environment gives it the address of.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        manifest: Manifest,
        layer: lambda_.ILayerVersion,
        data: DataStack,
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_name = {name: self._function(spec, layer, data) for name, spec in manifest.functions.items()}

    def _function(
        self, spec: FunctionSpec, layer: lambda_.ILayerVersion, data: DataStack
    ) -> lambda_.Function:
        environment: dict[str, str] = {}
        referenced: set[str] = set()
        for key, value in spec.environment.items():
            environment[key], used = data.references.resolve_string(value)
            referenced |= used
        function = lambda_.Function(
            self,
            spec.name,
            code=lambda_.Code.from_asset(str(spec.code_dir), exclude=["__pycache__", "*.pyc"]),
            handler=spec.handler,
            runtime=lambda_runtime(spec.runtime),
            architecture=lambda_architecture(spec.architecture),
            memory_size=spec.memory_mb,
            timeout=cdk.Duration.seconds(spec.timeout),
            layers=[layer],
            environment={**environment, **CLOUD_ENVIRONMENT},
            log_group=logs.LogGroup(
                self,
                f"{spec.name}-logs",
                retention=logs.RetentionDays.ONE_MONTH,
                removal_policy=cdk.RemovalPolicy.DESTROY,
            ),
        )
        cdk.Tags.of(function).add(FUNCTION_TAG, spec.name)
        for logical_id in sorted(referenced):
            data.grant(logical_id, function)
        if spec.name in LLM_FUNCTIONS:
            function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                    resources=list(_BEDROCK_MODELS),
                )
            )
        return function
