"""Queues with their dead-letter queues, tables, buckets, topics and secrets: the manifest's state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.references import References
from octag.manifest import Manifest, ManifestError, QueueSpec

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _cfn(construct: Construct) -> cdk.CfnResource:
    return cast(cdk.CfnResource, construct.node.default_child)


class DataStack(cdk.Stack):
    """Every stateful resource of the manifest, under its logical id and physical name.

    Tables, buckets, topics and secrets are declared with their L2 construct (secure defaults, grants)
    and then carry the manifest's CloudFormation properties verbatim, so the template stays the truth.
    """

    def __init__(self, scope: Construct, construct_id: str, *, manifest: Manifest, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.queues: dict[str, sqs.Queue] = {}
        for spec in manifest.queues.values():
            self._queue(spec, manifest.queues)
        self.tables = {lid: self._table(lid, props) for lid, props in manifest.tables.items()}
        self.buckets = {
            lid: s3.Bucket(
                self,
                lid,
                block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
                encryption=s3.BucketEncryption.S3_MANAGED,
                enforce_ssl=True,
            )
            for lid in manifest.buckets
        }
        self.topics = {lid: sns.Topic(self, lid, enforce_ssl=True) for lid in manifest.topics}
        self.secrets = {lid: secretsmanager.Secret(self, lid) for lid in manifest.secrets}

        self.references = References(
            {
                lid: _cfn(c)
                for group in (self.queues, self.tables, self.buckets, self.topics, self.secrets)
                for lid, c in group.items()
            }
        )
        # Second pass: properties may reference any resource declared above.
        for group, manifest_props in (
            (self.tables, manifest.tables),
            (self.buckets, manifest.buckets),
            (self.topics, manifest.topics),
            (self.secrets, manifest.secrets),
        ):
            for lid, props in manifest_props.items():
                self._apply_properties(group[lid], props)

    def grant(self, logical_id: str, grantee: iam.IGrantable) -> None:
        """Let `grantee` use a resource it was given the address of."""
        if logical_id in self.queues:
            self.queues[logical_id].grant_send_messages(grantee)
        elif logical_id in self.tables:
            self.tables[logical_id].grant_read_write_data(grantee)
        elif logical_id in self.buckets:
            self.buckets[logical_id].grant_read_write(grantee)
        elif logical_id in self.topics:
            self.topics[logical_id].grant_publish(grantee)
        elif logical_id in self.secrets:
            self.secrets[logical_id].grant_read(grantee)

    def _queue(self, spec: QueueSpec, specs: Mapping[str, QueueSpec]) -> sqs.Queue:
        if spec.logical_id in self.queues:
            return self.queues[spec.logical_id]
        dead_letter_queue = None
        if spec.dlq:
            if spec.max_receive_count is None:
                raise ManifestError(f"{spec.logical_id}: a RedrivePolicy needs maxReceiveCount")
            dead_letter_queue = sqs.DeadLetterQueue(
                queue=self._queue(specs[spec.dlq], specs), max_receive_count=spec.max_receive_count
            )
        queue = sqs.Queue(
            self,
            spec.logical_id,
            queue_name=spec.name,
            fifo=spec.fifo or None,
            visibility_timeout=cdk.Duration.seconds(spec.visibility_timeout),
            retention_period=cdk.Duration.seconds(spec.retention_seconds),
            dead_letter_queue=dead_letter_queue,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        self.queues[spec.logical_id] = queue
        return queue

    def _table(self, logical_id: str, props: Mapping[str, Any]) -> dynamodb.Table:
        types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions") or ()}
        keys = {k["KeyType"]: k["AttributeName"] for k in props.get("KeySchema") or ()}
        if "HASH" not in keys:
            raise ManifestError(f"{logical_id}: KeySchema needs a HASH key")

        def attribute(key_type: str) -> dynamodb.Attribute | None:
            name = keys.get(key_type)
            return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[types[name]]) if name else None

        on_demand = props.get("BillingMode") == "PAY_PER_REQUEST"
        return dynamodb.Table(
            self,
            logical_id,
            partition_key=cast(dynamodb.Attribute, attribute("HASH")),
            sort_key=attribute("RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST
            if on_demand
            else dynamodb.BillingMode.PROVISIONED,
        )

    def _apply_properties(self, construct: Construct, props: Mapping[str, Any]) -> None:
        resource = _cfn(construct)
        for key, value in props.items():
            resolved, _ = self.references.resolve(value)
            resource.add_property_override(key, resolved)
        if resource.cfn_resource_type == "AWS::SecretsManager::Secret" and "SecretString" in props:
            resource.add_property_deletion_override("GenerateSecretString")  # one or the other
