"""The route manifest: `template-local.yml` read into typed specs.

One reader for the local gateway, the local AWS provisioning and the CDK app, so routing is
written once. Functions are named after their folder under `functions/`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_TEMPLATE = PROJECT_ROOT / "template-local.yml"


class ManifestError(ValueError):
    """The template is not something the local runtime understands."""


# --- YAML with CloudFormation short-form intrinsics -------------------------------------------


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _tag in ("Ref", "Condition"):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(_tag))
for _tag in (
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "Base64",
    "GetAZs",
    "Cidr",
):
    _CfnLoader.add_constructor(f"!{_tag}", _intrinsic(f"Fn::{_tag}"))


def load_template(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=_CfnLoader)
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise ManifestError(f"{path}: not a CloudFormation/SAM template (no Resources)")
    return doc


# --- Specs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str  # folder name under functions/
    code_dir: Path
    handler: str
    runtime: str
    timeout: int
    memory_mb: int
    environment: Mapping[str, Any]  # values may hold intrinsics; see resolve()
    architecture: str = "x86_64"  # arm64 | x86_64


@dataclass(frozen=True)
class AuthorizerSpec:
    name: str
    function: str
    identity_headers: tuple[str, ...] = ()
    identity_query: tuple[str, ...] = ()
    ttl_seconds: int = 300


@dataclass(frozen=True)
class RestRoute:
    method: str  # upper case, or ANY
    path: str  # /api/items/{id} or /api/{proxy+}
    function: str
    authorizer: str | None = None


@dataclass(frozen=True)
class WebSocketRoute:
    route_key: str
    function: str
    authorizer: str | None = None


@dataclass(frozen=True)
class WebSocketApiSpec:
    logical_id: str
    stage: str
    route_selection_expression: str
    routes: Mapping[str, WebSocketRoute]
    authorizers: Mapping[str, AuthorizerSpec]
    name: str | None = None


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    name: str
    fifo: bool
    visibility_timeout: int
    retention_seconds: int
    dlq: str | None  # logical id of the dead-letter queue
    max_receive_count: int | None


@dataclass(frozen=True)
class SqsEventSource:
    function: str
    queue: str  # logical id
    batch_size: int
    batching_window_seconds: int
    report_batch_item_failures: bool
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleSpec:
    function: str
    name: str
    expression: str  # rate(...) or cron(...)
    enabled: bool = True
    input: Any = None


@dataclass(frozen=True)
class Manifest:
    path: Path
    root: Path
    stage: str
    functions: Mapping[str, FunctionSpec]  # by function name
    rest_routes: tuple[RestRoute, ...]
    rest_authorizers: Mapping[str, AuthorizerSpec]
    websocket: WebSocketApiSpec | None
    queues: Mapping[str, QueueSpec]  # by logical id
    sqs_sources: tuple[SqsEventSource, ...]
    schedules: tuple[ScheduleSpec, ...]
    tables: Mapping[str, Mapping[str, Any]]
    buckets: Mapping[str, Mapping[str, Any]]
    topics: Mapping[str, Mapping[str, Any]]
    secrets: Mapping[str, Mapping[str, Any]]
    function_by_logical_id: Mapping[str, str] = field(default_factory=dict)

    def function(self, name: str) -> FunctionSpec:
        try:
            return self.functions[name]
        except KeyError:
            raise ManifestError(f"unknown function {name!r}") from None


# --- Parsing ----------------------------------------------------------------------------------


def _ref_target(value: Any) -> str | None:
    """The logical id a Ref/GetAtt (or an ARN-building Sub) points at."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return str(att[0] if isinstance(att, list) else str(att).split(".")[0])
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text = sub[0] if isinstance(sub, list) else sub
            found = [
                m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", str(text)) if not m.startswith("AWS::")
            ]
            return found[-1] if found else None
    return None


def _function_name(code_uri: str) -> str:
    return Path(str(code_uri).rstrip("/")).name


def _authorizer_from_sam(name: str, props: Mapping[str, Any], fn_by_id: Mapping[str, str]) -> AuthorizerSpec:
    target = _ref_target(props.get("FunctionArn"))
    if target is None or target not in fn_by_id:
        raise ManifestError(f"authorizer {name}: FunctionArn must reference a function in the template")
    identity = props.get("Identity") or {}
    return AuthorizerSpec(
        name=name,
        function=fn_by_id[target],
        identity_headers=tuple(identity.get("Headers") or ()),
        identity_query=tuple(identity.get("QueryStrings") or ()),
        ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
    )


def parse_manifest(path: Path = DEFAULT_TEMPLATE) -> Manifest:
    path = Path(path).resolve()
    doc = load_template(path)
    root = path.parent
    resources: dict[str, dict[str, Any]] = doc["Resources"]
    globals_fn = (doc.get("Globals") or {}).get("Function") or {}
    global_env = ((globals_fn.get("Environment") or {}).get("Variables")) or {}

    def of_type(kind: str) -> dict[str, dict[str, Any]]:
        return {k: (v.get("Properties") or {}) for k, v in resources.items() if v.get("Type") == kind}

    functions: dict[str, FunctionSpec] = {}
    fn_by_id: dict[str, str] = {}
    for logical_id, props in of_type("AWS::Serverless::Function").items():
        code_uri = props.get("CodeUri")
        if not code_uri:
            raise ManifestError(f"{logical_id}: CodeUri is required")
        name = _function_name(code_uri)
        if name in functions:
            raise ManifestError(f"{logical_id}: two functions share the folder name {name!r}")
        env = dict(global_env)
        env.update(((props.get("Environment") or {}).get("Variables")) or {})
        functions[name] = FunctionSpec(
            logical_id=logical_id,
            name=name,
            code_dir=(root / str(code_uri)).resolve(),
            handler=str(props.get("Handler") or globals_fn.get("Handler") or "app.handler"),
            runtime=str(props.get("Runtime") or globals_fn.get("Runtime") or "python3.12"),
            timeout=int(props.get("Timeout") or globals_fn.get("Timeout") or 3),
            memory_mb=int(props.get("MemorySize") or globals_fn.get("MemorySize") or 128),
            environment=env,
            architecture=str(
                (props.get("Architectures") or globals_fn.get("Architectures") or ["x86_64"])[0]
            ),
        )
        fn_by_id[logical_id] = name

    # REST APIs (one local REST surface; SAM's implicit API counts too).
    rest_authorizers: dict[str, AuthorizerSpec] = {}
    default_authorizer: str | None = None
    stage = "prod"
    for api_props in of_type("AWS::Serverless::Api").values():
        stage = str(api_props.get("StageName") or stage)
        auth = api_props.get("Auth") or {}
        default_authorizer = auth.get("DefaultAuthorizer") or default_authorizer
        for name, a in (auth.get("Authorizers") or {}).items():
            if str(a.get("FunctionPayloadType", "TOKEN")).upper() != "REQUEST":
                raise ManifestError(f"authorizer {name}: only REQUEST authorizers are supported")
            rest_authorizers[name] = _authorizer_from_sam(name, a, fn_by_id)

    rest_routes: list[RestRoute] = []
    sqs_sources: list[SqsEventSource] = []
    schedules: list[ScheduleSpec] = []
    for logical_id, props in of_type("AWS::Serverless::Function").items():
        fn = fn_by_id[logical_id]
        for event_name, event in (props.get("Events") or {}).items():
            kind, ep = event.get("Type"), event.get("Properties") or {}
            if kind == "Api":
                auth = (ep.get("Auth") or {}).get("Authorizer", default_authorizer)
                auth = None if auth in (None, "NONE") else str(auth)
                if auth and auth not in rest_authorizers:
                    raise ManifestError(f"{logical_id}.{event_name}: unknown authorizer {auth!r}")
                rest_routes.append(RestRoute(str(ep["Method"]).upper(), str(ep["Path"]), fn, auth))
            elif kind == "SQS":
                queue = _ref_target(ep.get("Queue"))
                if not queue:
                    raise ManifestError(f"{logical_id}.{event_name}: Queue must reference a queue")
                sqs_sources.append(
                    SqsEventSource(
                        function=fn,
                        queue=queue,
                        batch_size=int(ep.get("BatchSize", 10)),
                        batching_window_seconds=int(ep.get("MaximumBatchingWindowInSeconds", 0)),
                        report_batch_item_failures="ReportBatchItemFailures"
                        in (ep.get("FunctionResponseTypes") or ()),
                        enabled=bool(ep.get("Enabled", True)),
                    )
                )
            elif kind == "Schedule":
                schedules.append(
                    ScheduleSpec(
                        function=fn,
                        name=str(ep.get("Name") or f"{logical_id}{event_name}"),
                        expression=str(ep["Schedule"]),
                        enabled=bool(ep.get("Enabled", True)),
                        input=ep.get("Input"),
                    )
                )
            else:
                raise ManifestError(f"{logical_id}.{event_name}: unsupported event type {kind!r}")

    queues: dict[str, QueueSpec] = {}
    for logical_id, props in of_type("AWS::SQS::Queue").items():
        fifo = bool(props.get("FifoQueue", False))
        redrive = props.get("RedrivePolicy") or {}
        name = str(props.get("QueueName") or (logical_id + (".fifo" if fifo else "")))
        queues[logical_id] = QueueSpec(
            logical_id=logical_id,
            name=name,
            fifo=fifo,
            visibility_timeout=int(props.get("VisibilityTimeout", 30)),
            retention_seconds=int(props.get("MessageRetentionPeriod", 345600)),
            dlq=_ref_target(redrive.get("deadLetterTargetArn")),
            max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
        )
    for q in queues.values():
        if q.dlq and q.dlq not in queues:
            raise ManifestError(f"{q.logical_id}: dead-letter queue {q.dlq!r} is not in the template")
    for src in sqs_sources:
        if src.queue not in queues:
            raise ManifestError(f"{src.function}: event source queue {src.queue!r} is not in the template")

    return Manifest(
        path=path,
        root=root,
        stage=stage,
        functions=functions,
        rest_routes=tuple(rest_routes),
        rest_authorizers=rest_authorizers,
        websocket=_parse_websocket(resources, fn_by_id),
        queues=queues,
        sqs_sources=tuple(sqs_sources),
        schedules=tuple(schedules),
        tables=of_type("AWS::DynamoDB::Table"),
        buckets=of_type("AWS::S3::Bucket"),
        topics=of_type("AWS::SNS::Topic"),
        secrets=of_type("AWS::SecretsManager::Secret"),
        function_by_logical_id=fn_by_id,
    )


def _parse_websocket(resources: Mapping[str, Any], fn_by_id: Mapping[str, str]) -> WebSocketApiSpec | None:
    def of_type(kind: str) -> dict[str, dict[str, Any]]:
        return {k: (v.get("Properties") or {}) for k, v in resources.items() if v.get("Type") == kind}

    apis = {
        k: p for k, p in of_type("AWS::ApiGatewayV2::Api").items() if p.get("ProtocolType") == "WEBSOCKET"
    }
    if not apis:
        return None
    if len(apis) > 1:
        raise ManifestError("only one WebSocket API per template is supported")
    api_id, api = next(iter(apis.items()))

    integrations = {
        k: fn_by_id.get(_ref_target(p.get("IntegrationUri")) or "")
        for k, p in of_type("AWS::ApiGatewayV2::Integration").items()
    }
    authorizers: dict[str, AuthorizerSpec] = {}
    for k, p in of_type("AWS::ApiGatewayV2::Authorizer").items():
        target = fn_by_id.get(_ref_target(p.get("AuthorizerUri")) or "")
        if not target:
            raise ManifestError(f"{k}: AuthorizerUri must reference a function in the template")
        headers: list[str] = []
        query: list[str] = []
        for source in p.get("IdentitySource") or ():
            kind, _, key = str(source).removeprefix("route.request.").partition(".")
            (headers if kind == "header" else query).append(key)
        authorizers[k] = AuthorizerSpec(k, target, tuple(headers), tuple(query), 0)

    routes: dict[str, WebSocketRoute] = {}
    for k, p in of_type("AWS::ApiGatewayV2::Route").items():
        if _ref_target(p.get("ApiId")) != api_id:
            continue
        integration = _ref_target(p.get("Target"))
        fn = integrations.get(integration or "")
        if not fn:
            raise ManifestError(f"{k}: Target must be integrations/${{<Lambda integration>}}")
        authorizer = _ref_target(p.get("AuthorizerId")) if p.get("AuthorizationType") == "CUSTOM" else None
        routes[str(p["RouteKey"])] = WebSocketRoute(str(p["RouteKey"]), fn, authorizer)

    stages = [
        p for p in of_type("AWS::ApiGatewayV2::Stage").values() if _ref_target(p.get("ApiId")) == api_id
    ]
    return WebSocketApiSpec(
        logical_id=api_id,
        stage=str(stages[0].get("StageName", "prod")) if stages else "prod",
        route_selection_expression=str(api.get("RouteSelectionExpression", "$request.body.action")),
        routes=routes,
        authorizers=authorizers,
        name=str(api["Name"]) if api.get("Name") else None,
    )


@cache
def default_manifest() -> Manifest:
    return parse_manifest(DEFAULT_TEMPLATE)


# --- Intrinsics -------------------------------------------------------------------------------


def resolve(
    value: Any, refs: Mapping[str, str], attrs: Mapping[tuple[str, str], str], pseudo: Mapping[str, str]
) -> Any:
    """Resolve Ref / GetAtt / Sub / Join against physical ids known to the local runtime."""
    if isinstance(value, list):
        return [resolve(v, refs, attrs, pseudo) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        key = str(value["Ref"])
        if key in pseudo:
            return pseudo[key]
        if key not in refs:
            raise ManifestError(f"cannot resolve Ref {key!r} locally")
        return refs[key]
    if "Fn::GetAtt" in value:
        target, att = value["Fn::GetAtt"]
        if (target, att) not in attrs:
            raise ManifestError(f"cannot resolve GetAtt {target}.{att} locally")
        return attrs[(target, att)]
    if "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        text, extra = (sub[0], sub[1]) if isinstance(sub, list) else (sub, {})

        def replace(m: re.Match[str]) -> str:
            key = m.group(1)
            if key in extra:
                return str(resolve(extra[key], refs, attrs, pseudo))
            if "." in key:
                return str(resolve({"Fn::GetAtt": key.split(".", 1)}, refs, attrs, pseudo))
            return str(resolve({"Ref": key}, refs, attrs, pseudo))

        return re.sub(r"\$\{([^}!]+)\}", replace, str(text))
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return str(sep).join(str(resolve(p, refs, attrs, pseudo)) for p in parts)
    return {k: resolve(v, refs, attrs, pseudo) for k, v in value.items()}
