"""What the SQS poller leaves on the queue after an invocation, as the Lambda service decides it."""

from __future__ import annotations

from typing import Any

import pytest

from local.event_sources import failed_message_ids, sqs_record
from local.lambda_runtime import Invocation

ARN = "arn:aws:sqs:ap-northeast-2:123456789012:orders.fifo"


def message(message_id: str, group: str | None = None) -> dict[str, Any]:
    attributes = {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "SenderId": "S"}
    if group:
        attributes["MessageGroupId"] = group
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"rh-{message_id}",
        "Body": message_id,
        "MD5OfBody": "md5",
        "Attributes": attributes,
    }


def records(*ids: str, group: str | None = None) -> list[dict[str, Any]]:
    return [sqs_record(message(i, group), ARN, "ap-northeast-2") for i in ids]


def ok(payload: Any) -> Invocation:
    return Invocation("consumer", "req", "ok", payload=payload)


def failures(*ids: str) -> dict[str, Any]:
    return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}


@pytest.mark.parametrize("status", ["error", "timeout"])
def test_a_failed_invocation_keeps_every_message(status):
    result = Invocation("consumer", "req", status, error={"errorType": "X"})
    assert failed_message_ids(records("m1", "m2"), result, report_batch_item_failures=True) == {"m1", "m2"}


def test_without_report_batch_item_failures_a_success_deletes_everything():
    assert (
        failed_message_ids(records("m1", "m2"), ok(failures("m1")), report_batch_item_failures=False) == set()
    )


@pytest.mark.parametrize("payload", [None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}])
def test_an_empty_report_is_complete_success(payload):
    assert failed_message_ids(records("m1"), ok(payload), report_batch_item_failures=True) == set()


def test_reported_items_stay_and_the_rest_is_deleted():
    assert failed_message_ids(
        records("m1", "m2", "m3"), ok(failures("m2")), report_batch_item_failures=True
    ) == {"m2"}


@pytest.mark.parametrize(
    "payload",
    [
        "done",
        ["m1"],
        {"batchItemFailures": "m1"},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"itemId": "m1"}]},
        {"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]},
    ],
)
def test_an_invalid_report_fails_the_whole_batch(payload):
    assert failed_message_ids(records("m1", "m2"), ok(payload), report_batch_item_failures=True) == {
        "m1",
        "m2",
    }


def test_fifo_keeps_later_messages_of_a_failed_group_even_if_unreported():
    batch = records("a1", "a2", "a3", group="a") + records("b1", "b2", group="b")
    kept = failed_message_ids(batch, ok(failures("a2")), report_batch_item_failures=True)
    assert kept == {"a2", "a3"}


def test_sqs_record_carries_fifo_attributes_and_lambda_field_order():
    msg = message("m1", group="g")
    msg["Attributes"].update(SequenceNumber="18849496460467696128", MessageDeduplicationId="d1")
    record = sqs_record(msg, ARN, "ap-northeast-2")
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert record["attributes"]["MessageGroupId"] == "g"
    assert record["attributes"]["SequenceNumber"] == "18849496460467696128"
    assert record["messageAttributes"] == {}
