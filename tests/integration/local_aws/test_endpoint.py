"""The local AWS endpoint: moto's server in its own process, one state per endpoint."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest

from local.aws_endpoint import LocalAwsEndpoint, local_client
from tests.integration.local_aws.conftest import REGION


def test_two_endpoints_run_side_by_side_with_separate_state():
    with LocalAwsEndpoint() as first, LocalAwsEndpoint() as second:
        a, b = first.start(), second.start()
        assert a != b
        local_client("sqs", a, REGION).create_queue(QueueName="only-in-first")
        local_client("s3", b, REGION).create_bucket(
            Bucket="only-in-second", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        assert local_client("sqs", b, REGION).list_queues().get("QueueUrls") is None
        assert local_client("s3", a, REGION).list_buckets()["Buckets"] == []
        assert [q.rsplit("/", 1)[1] for q in local_client("sqs", a, REGION).list_queues()["QueueUrls"]] == [
            "only-in-first"
        ]


def test_stop_releases_the_port_and_a_taken_port_is_reported():
    endpoint = LocalAwsEndpoint()
    port = int(endpoint.start().rsplit(":", 1)[1])
    with pytest.raises(RuntimeError, match=f"port {port}"):
        LocalAwsEndpoint().start(port)
    endpoint.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = endpoint.url
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # free again


def test_sqs_redrives_to_the_dead_letter_queue_after_max_receive_count(endpoint_url):
    sqs = local_client("sqs", endpoint_url, REGION)
    dlq = sqs.create_queue(QueueName="redrive-dead")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    queue = sqs.create_queue(QueueName="redrive-work", Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="poison")

    counts = []
    for _ in range(2):
        reply = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])
        counts.append(reply["Messages"][0]["Attributes"]["ApproximateReceiveCount"])
    assert counts == ["1", "2"]
    # The next receive moves it (as SQS does) instead of returning it a third time.
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)
    assert sqs.receive_message(QueueUrl=dlq)["Messages"][0]["Body"] == "poison"


def test_a_long_poll_on_an_empty_queue_returns_the_message_sent_while_it_waits(endpoint_url):
    sqs = local_client("sqs", endpoint_url, REGION)
    queue = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(sqs.receive_message, QueueUrl=queue, WaitTimeSeconds=20)
        sqs.send_message(QueueUrl=queue, MessageBody="hi")
        assert waiting.result(timeout=60)["Messages"][0]["Body"] == "hi"


def test_fifo_messages_of_a_group_come_back_in_order_after_a_visibility_timeout(endpoint_url):
    sqs = local_client("sqs", endpoint_url, REGION)
    queue = sqs.create_queue(
        QueueName="ordered.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    for body in ("1", "2", "3"):
        sqs.send_message(QueueUrl=queue, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=1)["Messages"]
    assert [m["Body"] for m in first] == ["1", "2", "3"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=first[0]["ReceiptHandle"])

    # "2" and "3" become visible again; unpatched moto 5.2 returns "3" first.
    again = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=5)["Messages"]
    assert again[0]["Body"] == "2"
