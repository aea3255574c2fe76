"""Create every resource `template-local.yml` declares on a local AWS endpoint, idempotently.

`provision()` returns the physical ids `octag.manifest.resolve()` needs for Ref / GetAtt / Sub.
Running it again converges (existing resources are kept; secret values are never overwritten).
Resources the local runtime emulates itself (functions, APIs) get ids without being created;
permissions, IAM and deployment plumbing are skipped; anything else is an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from local.aws_endpoint import local_client
from octag.manifest import FunctionSpec, Manifest, ManifestError, load_template, resolve

logger = Logger(service="octag-local", child=True)

# Handled elsewhere (the gateway, the runtime) or meaningless without real IAM/CloudWatch.
_SKIPPED = frozenset(
    {
        "AWS::Lambda::Permission",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Authorizer",
        "AWS::ApiGatewayV2::Deployment",
        "AWS::ApiGateway::Deployment",
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::Logs::LogGroup",
        "AWS::CloudWatch::Alarm",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
    }
)
_QUEUE_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "VisibilityTimeout",
)
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")
_PASSWORD_OPTIONS = (
    "PasswordLength",
    "ExcludeCharacters",
    "ExcludeNumbers",
    "ExcludePunctuation",
    "ExcludeUppercase",
    "ExcludeLowercase",
    "IncludeSpace",
    "RequireEachIncludedType",
)


class ProvisionError(ManifestError):
    """The template declares something the local endpoint cannot provide."""


@dataclass(frozen=True)
class LocalResources:
    """Physical ids of the provisioned template, for `octag.manifest.resolve()`."""

    refs: Mapping[str, str]
    attrs: Mapping[tuple[str, str], str]
    pseudo: Mapping[str, str]

    @property
    def region(self) -> str:
        return self.pseudo["AWS::Region"]

    @property
    def account_id(self) -> str:
        return self.pseudo["AWS::AccountId"]

    def resolve(self, value: Any) -> Any:
        return resolve(value, self.refs, self.attrs, self.pseudo)

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        """The function's template environment with every intrinsic resolved to a string."""
        return {key: _string(self.resolve(value)) for key, value in spec.environment.items()}


def provision(
    manifest: Manifest, endpoint_url: str, region: str, *, stack_name: str = "octag"
) -> LocalResources:
    """Create (or keep) every resource of `manifest` on `endpoint_url`."""
    return _Provisioner(manifest, endpoint_url, region, stack_name).run()


class _Provisioner:
    def __init__(self, manifest: Manifest, endpoint_url: str, region: str, stack_name: str) -> None:
        self.manifest = manifest
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[str, Any] = {}
        account = self.client("sts").get_caller_identity()["Account"]
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/local",
            "AWS::URLSuffix": "amazonaws.com",
        }
        self.refs: dict[str, str] = {}
        self.attrs: dict[tuple[str, str], str] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = local_client(service, self.endpoint_url, self.region)
        return self._clients[service]

    def resolve(self, value: Any) -> Any:
        return resolve(value, self.refs, self.attrs, self.pseudo)

    def run(self) -> LocalResources:
        resources = load_template(self.manifest.path)["Resources"]
        by_type: dict[str, list[str]] = {}
        for logical_id, resource in resources.items():
            by_type.setdefault(str(resource.get("Type")), []).append(logical_id)
        handlers = {
            "AWS::Serverless::Function": self.function,
            "AWS::Serverless::LayerVersion": self.layer,
            "AWS::Serverless::Api": self.api,
            "AWS::ApiGatewayV2::Api": self.api,
            "AWS::ApiGatewayV2::Stage": self.stage,
            "AWS::SNS::Topic": self.topic,
            "AWS::SecretsManager::Secret": self.secret,
            "AWS::S3::Bucket": self.bucket,
            "AWS::DynamoDB::Table": self.table,
            "AWS::SQS::Queue": self.queue,
        }
        unsupported = sorted(
            f"{logical_id} ({kind})"
            for kind, ids in by_type.items()
            if kind not in handlers and kind not in _SKIPPED
            for logical_id in ids
        )
        if unsupported:
            raise ProvisionError(f"not supported by the local runtime: {', '.join(unsupported)}")
        by_type["AWS::SQS::Queue"] = self._queues_dlq_first()
        for kind, handler in handlers.items():
            for logical_id in by_type.get(kind, ()):
                handler(logical_id, resources[logical_id].get("Properties") or {})
        logger.info("provisioned", extra={"endpoint": self.endpoint_url, "resources": len(self.refs)})
        return LocalResources(dict(self.refs), dict(self.attrs), dict(self.pseudo))

    # --- emulated by the local runtime: ids only --------------------------------------------

    def function(self, logical_id: str, props: Mapping[str, Any]) -> None:
        name = self.manifest.function_by_logical_id[logical_id]
        self.refs[logical_id] = name
        self.attrs[(logical_id, "Arn")] = self._arn("lambda", f"function:{name}")

    def layer(self, logical_id: str, props: Mapping[str, Any]) -> None:
        name = self.resolve(props.get("LayerName", logical_id))
        self.refs[logical_id] = self._arn("lambda", f"layer:{name}:1")

    def api(self, logical_id: str, props: Mapping[str, Any]) -> None:
        api_id = hashlib.sha1(logical_id.encode()).hexdigest()[:10]
        self.refs[logical_id] = api_id
        self.attrs[(logical_id, "ApiId")] = api_id

    def stage(self, logical_id: str, props: Mapping[str, Any]) -> None:
        self.refs[logical_id] = str(self.resolve(props.get("StageName", logical_id)))

    # --- created on the endpoint --------------------------------------------------------------

    def _queues_dlq_first(self) -> list[str]:
        """Queue logical ids, each dead-letter queue before the queues that redrive to it."""
        ordered: list[str] = []

        def visit(logical_id: str) -> None:
            dlq = self.manifest.queues[logical_id].dlq
            if dlq and dlq not in ordered:
                visit(dlq)
            if logical_id not in ordered:
                ordered.append(logical_id)

        for logical_id in self.manifest.queues:
            visit(logical_id)
        return ordered

    def queue(self, logical_id: str, props: Mapping[str, Any]) -> None:
        sqs = self.client("sqs")
        name = self.manifest.queues[logical_id].name
        attributes = {k: _string(self.resolve(props[k])) for k in _QUEUE_ATTRIBUTES if k in props}
        try:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        else:  # converge; FifoQueue cannot change
            mutable = {k: v for k, v in attributes.items() if k != "FifoQueue"}
            if mutable:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.refs[logical_id] = url
        self.attrs.update(
            {(logical_id, "Arn"): arn, (logical_id, "QueueName"): name, (logical_id, "QueueUrl"): url}
        )

    def table(self, logical_id: str, props: Mapping[str, Any]) -> None:
        ddb = self.client("dynamodb")
        props = self.resolve(dict(props))
        name = str(props.get("TableName") or logical_id)
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            table = ddb.create_table(**_create_table_args(name, props))["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            current = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            wanted = "ENABLED" if ttl.get("Enabled") else "DISABLED"
            if (current.get("TimeToLiveStatus"), current.get("AttributeName")) != (
                wanted,
                ttl["AttributeName"],
            ):
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "AttributeName": ttl["AttributeName"],
                        "Enabled": bool(ttl.get("Enabled")),
                    },
                )
        self.refs[logical_id] = name
        self.attrs[(logical_id, "Arn")] = table["TableArn"]
        if table.get("LatestStreamArn"):
            self.attrs[(logical_id, "StreamArn")] = table["LatestStreamArn"]

    def bucket(self, logical_id: str, props: Mapping[str, Any]) -> None:
        s3 = self.client("s3")
        name = str(
            self.resolve(props.get("BucketName")) or f"{self.pseudo['AWS::StackName']}-{logical_id}".lower()
        )
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            extra = (
                {"CreateBucketConfiguration": {"LocationConstraint": self.region}}
                if self.region != "us-east-1"
                else {}
            )
            s3.create_bucket(Bucket=name, **extra)
        self.refs[logical_id] = name
        self.attrs.update(
            {
                (logical_id, "Arn"): f"arn:aws:s3:::{name}",
                (logical_id, "DomainName"): f"{name}.s3.amazonaws.com",
                (logical_id, "RegionalDomainName"): f"{name}.s3.{self.region}.amazonaws.com",
            }
        )

    def topic(self, logical_id: str, props: Mapping[str, Any]) -> None:
        if props.get("Subscription"):
            raise ProvisionError(f"{logical_id}: SNS subscriptions are not provisioned locally")
        fifo = bool(props.get("FifoTopic"))
        name = str(self.resolve(props.get("TopicName")) or logical_id + (".fifo" if fifo else ""))
        attributes = {k: _string(props[k]) for k in ("FifoTopic", "ContentBasedDeduplication") if k in props}
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]  # idempotent
        self.refs[logical_id] = arn
        self.attrs.update({(logical_id, "TopicArn"): arn, (logical_id, "TopicName"): name})

    def secret(self, logical_id: str, props: Mapping[str, Any]) -> None:
        sm = self.client("secretsmanager")
        props = self.resolve(dict(props))
        name = str(props.get("Name") or logical_id)
        try:
            arn = sm.describe_secret(SecretId=name)["ARN"]
        except ClientError as exc:
            if not _is_missing(exc):
                raise
            arn = sm.create_secret(
                Name=name,
                Description=str(props.get("Description", "")),
                SecretString=self._secret_value(props),
            )["ARN"]
        self.refs[logical_id] = arn
        self.attrs[(logical_id, "Id")] = arn

    def _secret_value(self, props: Mapping[str, Any]) -> str:
        generate = props.get("GenerateSecretString")
        if not generate:
            return str(props.get("SecretString", ""))
        options = {k: generate[k] for k in _PASSWORD_OPTIONS if k in generate}
        password = self.client("secretsmanager").get_random_password(**options)["RandomPassword"]
        if "SecretStringTemplate" not in generate:
            return str(password)
        document = json.loads(generate["SecretStringTemplate"])
        document[generate["GenerateStringKey"]] = password
        return json.dumps(document)

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.pseudo['AWS::AccountId']}:{resource}"


def _create_table_args(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "ProvisionedThroughput" in props:
        args["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if key in props:
            args[key] = [{k: index[k] for k in _INDEX_KEYS if k in index} for index in props[key]]
    stream = props.get("StreamSpecification")
    if stream:
        args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return args


def _is_missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {
        "404",
        "NoSuchBucket",
        "ResourceNotFoundException",
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
    }


def _string(value: Any) -> str:
    """A template value as CloudFormation passes it to an API: JSON for objects, lower-case booleans."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
