"""Provisioning the fixture template (and the real one) on a real moto server."""

from __future__ import annotations

import json

import pytest

from local.aws_endpoint import LocalAwsEndpoint
from local.provision import ProvisionError, provision
from octag.manifest import default_manifest, parse_manifest
from tests.integration.local_aws.conftest import FIXTURES, REGION


def queue_attributes(stack, logical_id):
    return stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources.refs[logical_id], AttributeNames=["All"]
    )["Attributes"]


def test_queues_get_their_dead_letter_queue_fifo_and_timeouts(stack):
    work = queue_attributes(stack, "WorkQueue")
    assert work["VisibilityTimeout"] == "1"
    assert json.loads(work["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack.resources.attrs[("WorkDLQ", "Arn")],
        "maxReceiveCount": 2,
    }
    assert queue_attributes(stack, "WorkDLQ")["MessageRetentionPeriod"] == "1209600"

    orders = queue_attributes(stack, "OrdersQueue")
    assert (orders["FifoQueue"], orders["ContentBasedDeduplication"]) == ("true", "true")
    assert json.loads(orders["RedrivePolicy"])["deadLetterTargetArn"].endswith(":fixture-orders-dlq.fifo")
    assert stack.resources.attrs[("OrdersQueue", "QueueName")] == "fixture-orders.fifo"
    assert stack.resources.attrs[("OrdersQueue", "QueueUrl")] == stack.resources.refs["OrdersQueue"]


def test_table_bucket_topic_and_secrets_exist_as_declared(stack):
    ddb = stack.client("dynamodb")
    table = ddb.describe_table(TableName="fixture-items")["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {
        ("pk", "HASH"),
        ("sk", "RANGE"),
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-owner"]
    ttl = ddb.describe_time_to_live(TableName="fixture-items")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiresAt")
    assert stack.resources.attrs[("ItemsTable", "Arn")] == table["TableArn"]

    bucket = stack.resources.refs["UploadsBucket"]
    assert bucket == "octag-uploadsbucket"  # no BucketName: stack name + logical id
    stack.client("s3").head_bucket(Bucket=bucket)

    topic = stack.resources.refs["AlertsTopic"]
    assert topic.endswith(":fixture-alerts")
    assert topic in [t["TopicArn"] for t in stack.client("sns").list_topics()["Topics"]]

    sm = stack.client("secretsmanager")
    generated = json.loads(sm.get_secret_value(SecretId=stack.resources.refs["ApiKeySecret"])["SecretString"])
    assert generated["username"] == "octag"
    assert len(generated["password"]) == 24 and generated["password"].isalnum()
    assert sm.get_secret_value(SecretId="fixture/plain")["SecretString"] == "s3cr3t"


def test_provisioning_twice_changes_nothing_and_keeps_secret_values(stack):
    sm = stack.client("secretsmanager")
    before = sm.get_secret_value(SecretId="fixture/api-key")["SecretString"]
    queues = sorted(stack.client("sqs").list_queues()["QueueUrls"])

    again = provision(stack.manifest, stack.endpoint_url, REGION)

    assert again == stack.resources
    assert sorted(stack.client("sqs").list_queues()["QueueUrls"]) == queues
    assert sm.get_secret_value(SecretId="fixture/api-key")["SecretString"] == before


def test_environment_resolves_ref_getatt_sub_and_join_to_strings(stack):
    r = stack.resources
    env = r.environment(stack.manifest.function("consumer"))
    assert env["WORK_QUEUE_URL"] == r.refs["WorkQueue"]
    assert env["WORK_DLQ_ARN"] == f"arn:aws:sqs:{REGION}:{r.account_id}:fixture-work-dlq"
    assert env["ITEMS_TABLE"] == "fixture-items"
    assert env["ITEMS_TABLE_ARN"] == r.attrs[("ItemsTable", "Arn")]
    assert env["UPLOADS_OBJECTS"] == "arn:aws:s3:::octag-uploadsbucket/*"
    assert env["ALERTS_TOPIC"] == r.refs["AlertsTopic"]
    assert env["API_KEY_SECRET"].startswith(
        f"arn:aws:secretsmanager:{REGION}:{r.account_id}:secret:fixture/api-key"
    )
    assert env["SELF_ARN"] == f"arn:aws:lambda:{REGION}:{r.account_id}:function:consumer"
    assert env["LAYER"] == f"arn:aws:lambda:{REGION}:{r.account_id}:layer:fixture-layer:1"
    assert env["WHERE"] == f"{REGION}:{r.account_id}"
    assert (env["VERBOSE"], env["BATCH_LIMIT"], env["STACK"]) == ("true", "25", "octag")
    assert r.account_id == "123456789012"  # moto's


def test_the_main_template_provisions_cleanly():
    manifest = default_manifest()
    with LocalAwsEndpoint() as endpoint:
        url = endpoint.start()
        resources = provision(manifest, url, REGION)
        assert provision(manifest, url, REGION) == resources
    for spec in manifest.functions.values():
        assert all(isinstance(v, str) for v in resources.environment(spec).values())
    assert resources.refs["ConnectionsTable"] == "octag-connections"
    assert resources.refs["CriticalEventsQueue"].endswith("/octag-critical-events")


def test_resource_types_the_local_runtime_cannot_provide_are_refused(tmp_path):
    template = (FIXTURES / "template.yml").read_text() + (
        "\n  Stream:\n    Type: AWS::Kinesis::Stream\n    Properties:\n      ShardCount: 1\n"
    )
    (tmp_path / "template.yml").write_text(template)
    with (
        LocalAwsEndpoint() as endpoint,
        pytest.raises(ProvisionError, match=r"Stream \(AWS::Kinesis::Stream\)"),
    ):
        provision(parse_manifest(tmp_path / "template.yml"), endpoint.start(), REGION)
