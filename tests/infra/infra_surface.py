"""What a deployment exposes (routes, functions, queues, schedules, ...), read two ways.

`manifest_surface` reads it from the route manifest, `cloud_surface` from synthesized CloudFormation;
`differences` lists where the two disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from infra_cdk.lambdas import FUNCTION_TAG
from octag.manifest import AuthorizerSpec, Manifest

# The environment the cloud adds to the manifest's: every function learns it runs on AWS, and the
# functions behind WebSocket routes learn where to post frames.
CLOUD_VARIABLES = frozenset({"OCTAG_ENV"})
WEBSOCKET_VARIABLES = frozenset({"WEBSOCKET_ENDPOINT_URL"})


@dataclass(frozen=True)
class Surface:
    rest_stage: str | None
    rest_routes: frozenset[tuple[str, str, str, str | None]]  # method, path, function, authorizer
    # name, function, identity sources, result cache TTL
    rest_authorizers: frozenset[tuple[str, str, tuple[str, ...], int]]
    websocket: tuple[str | None, str, str] | None  # name, stage, route selection expression
    websocket_routes: frozenset[tuple[str, str, str | None]]  # route key, function, authorizer
    websocket_authorizers: frozenset[tuple[str, str, tuple[str, ...]]]
    # name -> handler, runtime, architecture, timeout, memory, environment variable names
    functions: frozenset[tuple[str, str, str, str, int, int, tuple[str, ...]]]
    # name -> fifo, visibility timeout, retention, dead-letter queue name, max receive count
    queues: frozenset[tuple[str, bool, int, int, str | None, int | None]]
    # queue name, function, batch size, batching window, reports batch item failures, enabled
    sqs_sources: frozenset[tuple[str, str, int, int, bool, bool]]
    schedules: frozenset[tuple[str, str, bool]]  # expression, function, enabled
    tables: frozenset[str]
    buckets: frozenset[str]
    topics: frozenset[str]
    secrets: frozenset[str]


def differences(expected: Surface, actual: Surface) -> list[str]:
    """One line per item the manifest has and the cloud lacks, or the other way round."""
    found = []
    for f in fields(Surface):
        want, got = getattr(expected, f.name), getattr(actual, f.name)
        if isinstance(want, frozenset) and isinstance(got, frozenset):
            found += [f"{f.name}: missing {item!r}" for item in sorted(want - got, key=repr)]
            found += [f"{f.name}: unexpected {item!r}" for item in sorted(got - want, key=repr)]
        elif want != got:
            found.append(f"{f.name}: expected {want!r}, got {got!r}")
    return found


# --- From the manifest ------------------------------------------------------------------------


def _identity(spec: AuthorizerSpec) -> tuple[str, ...]:
    return tuple(
        [f"header.{h}" for h in spec.identity_headers] + [f"querystring.{q}" for q in spec.identity_query]
    )


def manifest_surface(manifest: Manifest) -> Surface:
    ws = manifest.websocket
    ws_functions = {r.function for r in ws.routes.values()} if ws else set()
    queue_names = {lid: q.name for lid, q in manifest.queues.items()}
    return Surface(
        rest_stage=manifest.stage if manifest.rest_routes else None,
        rest_routes=frozenset((r.method, r.path, r.function, r.authorizer) for r in manifest.rest_routes),
        rest_authorizers=frozenset(
            (a.name, a.function, _identity(a), a.ttl_seconds)
            for a in manifest.rest_authorizers.values()
            if any(r.authorizer == a.name for r in manifest.rest_routes)
        ),
        websocket=(ws.name, ws.stage, ws.route_selection_expression) if ws else None,
        websocket_routes=frozenset((r.route_key, r.function, r.authorizer) for r in ws.routes.values())
        if ws
        else frozenset(),
        websocket_authorizers=frozenset(
            (a.name, a.function, _identity(a))
            for a in ws.authorizers.values()
            if any(r.authorizer == a.name for r in ws.routes.values())
        )
        if ws
        else frozenset(),
        functions=frozenset(
            (
                f.name,
                f.handler,
                f.runtime,
                f.architecture,
                f.timeout,
                f.memory_mb,
                tuple(
                    sorted(
                        {
                            *f.environment,
                            *CLOUD_VARIABLES,
                            *(WEBSOCKET_VARIABLES if f.name in ws_functions else ()),
                        }
                    )
                ),
            )
            for f in manifest.functions.values()
        ),
        queues=frozenset(
            (
                q.name,
                q.fifo,
                q.visibility_timeout,
                q.retention_seconds,
                queue_names[q.dlq] if q.dlq else None,
                q.max_receive_count,
            )
            for q in manifest.queues.values()
        ),
        sqs_sources=frozenset(
            (
                queue_names[s.queue],
                s.function,
                s.batch_size,
                s.batching_window_seconds,
                s.report_batch_item_failures,
                s.enabled,
            )
            for s in manifest.sqs_sources
        ),
        schedules=frozenset((s.expression, s.function, s.enabled) for s in manifest.schedules),
        tables=frozenset(str(p["TableName"]) for p in manifest.tables.values()),
        buckets=frozenset(str(p["BucketName"]) for p in manifest.buckets.values()),
        topics=frozenset(str(p["TopicName"]) for p in manifest.topics.values()),
        secrets=frozenset(str(p["Name"]) for p in manifest.secrets.values()),
    )


# --- From synthesized CloudFormation ----------------------------------------------------------


@dataclass(frozen=True)
class _Resource:
    stack: str
    logical_id: str
    type: str
    props: Mapping[str, Any]


class _Assembly:
    """The resources of all stacks, with references followed across stacks (`Fn::ImportValue`)."""

    def __init__(self, templates: Mapping[str, Mapping[str, Any]]) -> None:
        self.resources = {
            (stack, lid): _Resource(stack, lid, r["Type"], r.get("Properties") or {})
            for stack, t in templates.items()
            for lid, r in t["Resources"].items()
        }
        self.exports = {
            o["Export"]["Name"]: (stack, o["Value"])
            for stack, t in templates.items()
            for o in (t.get("Outputs") or {}).values()
            if "Export" in o
        }

    def of_type(self, kind: str) -> list[_Resource]:
        return [r for r in self.resources.values() if r.type == kind]

    def _referenced(self, stack: str, value: Any) -> Iterator[_Resource]:
        if isinstance(value, list):
            for v in value:
                yield from self._referenced(stack, v)
        elif isinstance(value, dict):
            if "Ref" in value and (stack, value["Ref"]) in self.resources:
                yield self.resources[(stack, value["Ref"])]
            elif "Fn::GetAtt" in value:
                yield self.resources[(stack, value["Fn::GetAtt"][0])]
            elif "Fn::ImportValue" in value:
                yield from self._referenced(*self.exports[value["Fn::ImportValue"]])
            else:
                for v in value.values():
                    yield from self._referenced(stack, v)

    def target(self, owner: _Resource, value: Any, kind: str) -> _Resource:
        """The one resource of type `kind` that `value` (a property of `owner`) references."""
        found = {r.logical_id: r for r in self._referenced(owner.stack, value) if r.type == kind}
        assert len(found) == 1, f"{owner.logical_id}: expected one {kind} in {value!r}, found {list(found)}"
        return next(iter(found.values()))


def _tag(resource: _Resource, key: str) -> str | None:
    return next((t["Value"] for t in resource.props.get("Tags") or () if t["Key"] == key), None)


def _normalized_identity(sources: str | list[str]) -> tuple[str, ...]:
    listed = sources.split(",") if isinstance(sources, str) else sources
    return tuple(s.strip().removeprefix("method.request.").removeprefix("route.request.") for s in listed)


def cloud_surface(templates: Mapping[str, Mapping[str, Any]]) -> Surface:
    cfn = _Assembly(templates)
    function_names = {
        (r.stack, r.logical_id): name
        for r in cfn.of_type("AWS::Lambda::Function")
        if (name := _tag(r, FUNCTION_TAG)) is not None
    }

    def function(owner: _Resource, value: Any) -> str:
        fn = cfn.target(owner, value, "AWS::Lambda::Function")
        return function_names[(fn.stack, fn.logical_id)]

    def queue_name(owner: _Resource, value: Any) -> str:
        return str(cfn.target(owner, value, "AWS::SQS::Queue").props["QueueName"])

    # REST: each method's full path from the resource tree.
    def path(resource_id: Any, owner: _Resource) -> str:
        if "Fn::GetAtt" in resource_id:  # the API's RootResourceId
            return ""
        resource = cfn.target(owner, resource_id, "AWS::ApiGateway::Resource")
        return f"{path(resource.props['ParentId'], resource)}/{resource.props['PathPart']}"

    def rest_authorizer(method: _Resource) -> str | None:
        if "AuthorizerId" not in method.props:
            return None
        return str(
            cfn.target(method, method.props["AuthorizerId"], "AWS::ApiGateway::Authorizer").props["Name"]
        )

    rest_stages = [r.props["StageName"] for r in cfn.of_type("AWS::ApiGateway::Stage")]
    assert len(rest_stages) <= 1, f"one REST stage expected, found {rest_stages}"
    rest_routes = frozenset(
        (
            m.props["HttpMethod"],
            path(m.props["ResourceId"], m) or "/",
            function(m, m.props["Integration"]["Uri"]),
            rest_authorizer(m),
        )
        for m in cfn.of_type("AWS::ApiGateway::Method")
    )
    rest_authorizers = frozenset(
        (
            a.props["Name"],
            function(a, a.props["AuthorizerUri"]),
            _normalized_identity(a.props["IdentitySource"]),
            a.props.get("AuthorizerResultTtlInSeconds", 300),
        )
        for a in cfn.of_type("AWS::ApiGateway::Authorizer")
    )

    # WebSocket
    ws_apis = [a for a in cfn.of_type("AWS::ApiGatewayV2::Api") if a.props.get("ProtocolType") == "WEBSOCKET"]
    assert len(ws_apis) <= 1, "one WebSocket API expected"
    websocket = None
    if ws_apis:
        (stage,) = [s.props["StageName"] for s in cfn.of_type("AWS::ApiGatewayV2::Stage")]
        websocket = (ws_apis[0].props.get("Name"), stage, ws_apis[0].props["RouteSelectionExpression"])

    def ws_route(route: _Resource) -> tuple[str, str, str | None]:
        integration = cfn.target(route, route.props["Target"], "AWS::ApiGatewayV2::Integration")
        authorizer = None
        if "AuthorizerId" in route.props:
            authorizer = cfn.target(route, route.props["AuthorizerId"], "AWS::ApiGatewayV2::Authorizer")
        return (
            route.props["RouteKey"],
            function(integration, integration.props["IntegrationUri"]),
            authorizer.props["Name"] if authorizer else None,
        )

    websocket_authorizers = frozenset(
        (
            a.props["Name"],
            function(a, a.props["AuthorizerUri"]),
            _normalized_identity(a.props["IdentitySource"]),
        )
        for a in cfn.of_type("AWS::ApiGatewayV2::Authorizer")
    )

    functions = frozenset(
        (
            function_names[(f.stack, f.logical_id)],
            f.props["Handler"],
            f.props["Runtime"],
            (f.props.get("Architectures") or ["x86_64"])[0],
            f.props.get("Timeout", 3),
            f.props.get("MemorySize", 128),
            tuple(sorted((f.props.get("Environment") or {}).get("Variables") or {})),
        )
        for f in cfn.of_type("AWS::Lambda::Function")
        if (f.stack, f.logical_id) in function_names
    )

    def redrive(q: _Resource) -> tuple[str | None, int | None]:
        policy = q.props.get("RedrivePolicy")
        if not policy:
            return None, None
        return queue_name(q, policy["deadLetterTargetArn"]), policy["maxReceiveCount"]

    queues = frozenset(
        (
            q.props["QueueName"],
            bool(q.props.get("FifoQueue", False)),
            q.props.get("VisibilityTimeout", 30),
            q.props.get("MessageRetentionPeriod", 345600),
            *redrive(q),
        )
        for q in cfn.of_type("AWS::SQS::Queue")
    )
    sqs_sources = frozenset(
        (
            queue_name(m, m.props["EventSourceArn"]),
            function(m, m.props["FunctionName"]),
            m.props.get("BatchSize", 10),
            m.props.get("MaximumBatchingWindowInSeconds", 0),
            "ReportBatchItemFailures" in (m.props.get("FunctionResponseTypes") or ()),
            m.props.get("Enabled", True),
        )
        for m in cfn.of_type("AWS::Lambda::EventSourceMapping")
    )
    schedules = frozenset(
        (
            rule.props["ScheduleExpression"],
            function(rule, target["Arn"]),
            rule.props.get("State") != "DISABLED",
        )
        for rule in cfn.of_type("AWS::Events::Rule")
        if "ScheduleExpression" in rule.props
        for target in rule.props["Targets"]
    )

    def names(kind: str, prop: str) -> frozenset[str]:
        return frozenset(str(r.props[prop]) for r in cfn.of_type(kind))

    return Surface(
        rest_stage=rest_stages[0] if rest_stages else None,
        rest_routes=rest_routes,
        rest_authorizers=rest_authorizers,
        websocket=websocket,
        websocket_routes=frozenset(ws_route(r) for r in cfn.of_type("AWS::ApiGatewayV2::Route")),
        websocket_authorizers=websocket_authorizers,
        functions=functions,
        queues=queues,
        sqs_sources=sqs_sources,
        schedules=schedules,
        tables=names("AWS::DynamoDB::Table", "TableName"),
        buckets=names("AWS::S3::Bucket", "BucketName"),
        topics=names("AWS::SNS::Topic", "TopicName"),
        secrets=names("AWS::SecretsManager::Secret", "Name"),
    )
