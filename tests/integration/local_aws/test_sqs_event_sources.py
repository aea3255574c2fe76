"""SQS event source mappings against a real moto server and real worker processes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections import Counter, defaultdict
from typing import Any

from tests.integration.local_aws.conftest import FixtureStack, eventually


def send(stack: FixtureStack, queue: str, bodies: list[str], **extra: Any) -> None:
    sqs = stack.client("sqs")
    for start in range(0, len(bodies), 10):
        entries = [
            {"Id": str(i), "MessageBody": b, **extra} for i, b in enumerate(bodies[start : start + 10])
        ]
        reply = sqs.send_message_batch(QueueUrl=stack.resources.refs[queue], Entries=entries)
        assert not reply.get("Failed")


def drain(stack: FixtureStack, queue: str, expected: int) -> list[dict[str, Any]]:
    """Receive until `expected` messages came back (hang-guarded by the caller)."""
    sqs = stack.client("sqs")
    got: dict[str, dict[str, Any]] = {}

    def more() -> bool:
        reply = sqs.receive_message(
            QueueUrl=stack.resources.refs[queue], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        got.update({m["MessageId"]: m for m in reply.get("Messages", [])})
        return len(got) >= expected

    asyncio.run(eventually(more, f"{expected} messages in {queue}"))
    return list(got.values())


def queue_is_empty(stack: FixtureStack, queue: str) -> bool:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources.refs[queue],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}


def deliveries(stack: FixtureStack) -> dict[str, list[str]]:
    """Body -> ApproximateReceiveCount of every delivery the consumer saw."""
    seen = defaultdict(list)
    for line in stack.logged("consumer"):
        seen[line["record"]["body"]].append(line["record"]["attributes"]["ApproximateReceiveCount"])
    return dict(seen)


def test_reported_failures_are_redelivered_then_dead_lettered_and_the_rest_deleted_once(stack):
    ok = [f"ok-{i}" for i in range(4)]
    send(stack, "WorkQueue", [*ok, "fail-1", "fail-2"])

    async def scenario() -> None:
        async with stack.consuming("WorkQueue"):
            await eventually(lambda: len(stack.logged("consumer")) >= 8, "two deliveries of each failure")
            await eventually(lambda: queue_is_empty(stack, "WorkQueue"), "the work queue to empty")

    asyncio.run(scenario())

    dead = drain(stack, "WorkDLQ", 2)
    assert sorted(m["Body"] for m in dead) == ["fail-1", "fail-2"]
    assert deliveries(stack) == {**{b: ["1"] for b in ok}, "fail-1": ["1", "2"], "fail-2": ["1", "2"]}


def test_records_have_the_shape_of_lambdas_sqs_event(stack):
    send(
        stack,
        "PlainQueue",
        ["hello"],
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "greeting"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )

    async def scenario() -> None:
        async with stack.consuming("PlainQueue"):
            await eventually(lambda: stack.logged("consumer"), "the delivery")

    asyncio.run(scenario())

    record = stack.logged("consumer")[0]["record"]
    assert set(record) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "md5OfMessageAttributes",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.resources.attrs[("PlainQueue", "Arn")]
    assert record["awsRegion"] == stack.resources.region
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SenderId",
        "ApproximateFirstReceiveTimestamp",
    }
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "greeting",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "blob": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }


def test_without_report_batch_item_failures_a_successful_batch_is_deleted_whole(stack):
    send(stack, "PlainQueue", ["fail-but-not-reportable", "ok"])

    async def scenario() -> None:
        async with stack.consuming("PlainQueue"):
            await eventually(lambda: len(stack.logged("consumer")) >= 2, "the delivery")
            await eventually(lambda: queue_is_empty(stack, "PlainQueue"), "the queue to empty")

    asyncio.run(scenario())
    assert deliveries(stack) == {"fail-but-not-reportable": ["1"], "ok": ["1"]}


def test_a_function_error_returns_the_whole_batch_until_it_is_dead_lettered(stack):
    bodies = ["crash-1", "crash-2", "crash-3"]
    send(stack, "CrashQueue", bodies)

    async def scenario() -> None:
        async with stack.consuming("CrashQueue"):
            await eventually(lambda: len(stack.logged("consumer")) >= 6, "two deliveries of each message")
            await eventually(lambda: queue_is_empty(stack, "CrashQueue"), "the crash queue to empty")

    asyncio.run(scenario())

    assert sorted(m["Body"] for m in drain(stack, "CrashDLQ", 3)) == bodies
    assert deliveries(stack) == {b: ["1", "2"] for b in bodies}


def test_an_invalid_failure_report_fails_the_whole_batch(stack):
    send(stack, "CrashQueue", ["bogus-report", "ok-neighbour"])

    async def scenario() -> None:
        async with stack.consuming("CrashQueue"):
            await eventually(lambda: len(deliveries(stack).get("ok-neighbour", [])) >= 2, "a redelivery")

    asyncio.run(scenario())
    assert deliveries(stack)["ok-neighbour"][:2] == ["1", "2"]


def test_batches_never_exceed_batch_size(stack):
    bodies = [f"m-{i}" for i in range(25)]
    send(stack, "WorkQueue", bodies)

    async def scenario() -> None:
        async with stack.consuming("WorkQueue"):
            await eventually(lambda: len(stack.logged("consumer")) >= 25, "every message")
            await eventually(lambda: queue_is_empty(stack, "WorkQueue"), "the queue to empty")

    asyncio.run(scenario())

    sizes = Counter(line["request_id"] for line in stack.logged("consumer")).values()
    assert max(sizes) == 10
    assert sum(sizes) == 25
    assert deliveries(stack) == {b: ["1"] for b in bodies}


def test_the_batching_window_gathers_more_than_one_receive_returns(stack):
    bodies = [f"m-{i}" for i in range(25)]
    send(stack, "BatchedQueue", bodies)  # BatchSize 25, MaximumBatchingWindowInSeconds 5

    async def scenario() -> None:
        async with stack.consuming("BatchedQueue"):
            await eventually(lambda: len(stack.logged("consumer")) >= 25, "every message")

    asyncio.run(scenario())

    batches = Counter(line["request_id"] for line in stack.logged("consumer"))
    assert list(batches.values()) == [25]


def test_fifo_keeps_order_within_a_message_group_across_a_failure(stack):
    sqs = stack.client("sqs")
    sent = [("a", "a1"), ("b", "b1"), ("a", "fail-once-a2"), ("b", "b2"), ("a", "a3"), ("b", "b3")]
    for group, body in sent:
        # An explicit deduplication id: moto assigns SequenceNumber only then.
        sqs.send_message(
            QueueUrl=stack.resources.refs["OrdersQueue"],
            MessageBody=body,
            MessageGroupId=group,
            MessageDeduplicationId=body,
        )

    async def scenario() -> None:
        async with stack.consuming("OrdersQueue"):
            await eventually(lambda: len(stack.logged("fifo")) >= 6, "every message processed")
            await eventually(lambda: queue_is_empty(stack, "OrdersQueue"), "the queue to empty")

    asyncio.run(scenario())

    processed = [line["record"] for line in stack.logged("fifo")]
    by_group = defaultdict(list)
    for record in processed:
        by_group[record["attributes"]["MessageGroupId"]].append(record["body"])
    assert by_group == {"a": ["a1", "fail-once-a2", "a3"], "b": ["b1", "b2", "b3"]}
    counts = {r["body"]: r["attributes"]["ApproximateReceiveCount"] for r in processed}
    assert counts == {"a1": "1", "b1": "1", "b2": "1", "b3": "1", "fail-once-a2": "2", "a3": "2"}
    assert {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber"} <= set(processed[0]["attributes"])
