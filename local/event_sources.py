"""SQS event source mappings: poll a queue and invoke a function the way the Lambda service does.

One batch at a time per mapping (Lambda scales pollers out; locally one is enough and keeps FIFO
order trivially). A batch is deleted after a successful invocation; with ReportBatchItemFailures
only the records the function did not report are deleted, and an invalid report fails the whole
batch; an error or timeout deletes nothing. Undeleted messages come back after the queue's
visibility timeout, and the endpoint moves them to the dead-letter queue after maxReceiveCount.

FIFO: AWS expects the function to stop at the first failure of a message group and report the rest
of that group too. The poller enforces it: it never deletes a message that follows a failed one
of the same group in the batch (and logs when the function did not report it), so order holds.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from local.lambda_runtime import Invocation, LambdaRuntime
from octag.manifest import QueueSpec, SqsEventSource

logger = Logger(service="octag-local", child=True)

_MAX_RECEIVE = 10  # SQS ReceiveMessage limit
_SHORT_POLL_PAUSE = 0.1
_ERROR_BACKOFF = 1.0
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "AWSTraceHeader",
)


class SqsEventSourcePoller:
    """Delivers one queue's messages to one function in batches until `stop()`."""

    def __init__(
        self,
        source: SqsEventSource,
        queue: QueueSpec,
        queue_url: str,
        queue_arn: str,
        runtime: LambdaRuntime,
        sqs_client: Any,
        *,
        wait_seconds: int = 1,
    ) -> None:
        self.source = source
        self.queue = queue
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = queue_arn.split(":")[3]
        self._runtime = runtime
        self._sqs = sqs_client
        # Short long-polls keep stop() prompt: a blocking boto3 call cannot be interrupted.
        self._wait_seconds = wait_seconds
        self._stopping = False
        timeout = runtime.manifest.function(source.function).timeout
        if queue.visibility_timeout < timeout:
            logger.warning(
                "AWS refuses this mapping: queue visibility timeout below the function timeout",
                extra={
                    "queue": queue.name,
                    "visibility_timeout": queue.visibility_timeout,
                    "timeout": timeout,
                },
            )

    def stop(self) -> None:
        """Ask `run()` to return after the batch in hand (at most one receive wait away)."""
        self._stopping = True

    async def run(self) -> None:
        """Receive, invoke, delete; one batch at a time."""
        while not self._stopping:
            messages = await self._collect()
            if messages:
                await self._deliver(messages)

    async def _collect(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: one receive, or as many as the batching window gathers."""
        size, window = self.source.batch_size, self.source.batching_window_seconds
        messages = await self._receive(min(size, _MAX_RECEIVE), self._wait_seconds)
        if not messages or window <= 0:
            return messages
        loop = asyncio.get_running_loop()
        deadline = loop.time() + window
        while len(messages) < size and not self._stopping:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wait = min(self._wait_seconds, int(remaining))
            more = await self._receive(min(size - len(messages), _MAX_RECEIVE), wait)
            messages.extend(more)
            if not more and wait == 0:
                await asyncio.sleep(min(remaining, _SHORT_POLL_PAUSE))
        return messages

    async def _receive(self, count: int, wait: int) -> list[dict[str, Any]]:
        try:
            reply = await asyncio.to_thread(
                self._sqs.receive_message,
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=count,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
        except (BotoCoreError, ClientError) as exc:
            logger.error("sqs receive failed", extra={"queue": self.queue.name, "error": str(exc)})
            await asyncio.sleep(_ERROR_BACKOFF)
            return []
        return list(reply.get("Messages", []))

    async def _deliver(self, messages: list[dict[str, Any]]) -> None:
        records = [sqs_record(m, self.queue_arn, self.region) for m in messages]
        result = await self._runtime.invoke(self.source.function, {"Records": records})
        failed = failed_message_ids(
            records, result, report_batch_item_failures=self.source.report_batch_item_failures
        )
        done = [m for m in messages if m["MessageId"] not in failed]
        deleted = await self._delete(done)
        logger.info(
            "sqs batch",
            extra={
                "function": self.source.function,
                "queue": self.queue.name,
                "request_id": result.request_id,
                "status": result.status,
                "batch_size": len(records),
                "failed": len(failed),
                "deleted": deleted,
            },
        )

    async def _delete(self, messages: list[dict[str, Any]]) -> int:
        deleted = 0
        for start in range(0, len(messages), _MAX_RECEIVE):
            chunk = messages[start : start + _MAX_RECEIVE]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            try:
                reply = await asyncio.to_thread(
                    self._sqs.delete_message_batch, QueueUrl=self.queue_url, Entries=entries
                )
            except (BotoCoreError, ClientError) as exc:
                logger.error("sqs delete failed", extra={"queue": self.queue.name, "error": str(exc)})
                continue
            deleted += len(reply.get("Successful", []))
            for failure in reply.get("Failed", []):
                logger.error("sqs delete failed", extra={"queue": self.queue.name, **failure})
        return deleted


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One `Records[]` entry of Lambda's SQS event, from a ReceiveMessage message."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {k: attributes[k] for k in _RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: _message_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
    return record


def _message_attribute(value: Mapping[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {}
    if "StringValue" in value:
        converted["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        converted["binaryValue"] = _b64(value["BinaryValue"])
    converted["stringListValues"] = list(value.get("StringListValues", []))
    converted["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues", [])]
    converted["dataType"] = value["DataType"]
    return converted


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def failed_message_ids(
    records: list[dict[str, Any]], result: Invocation, *, report_batch_item_failures: bool
) -> set[str]:
    """The message ids Lambda would leave on the queue after this invocation."""
    ids = [r["messageId"] for r in records]
    if not result.ok:
        return set(ids)
    if not report_batch_item_failures:
        return set()
    reported = _reported_failures(result.payload, set(ids))
    if reported is None:
        logger.warning("invalid batchItemFailures response: the whole batch failed")
        return set(ids)
    kept = _with_rest_of_failed_groups(records, reported)
    if kept != reported:
        logger.warning(
            "FIFO: kept messages after a failed one of the same group",
            extra={"unreported": sorted(kept - reported)},
        )
    return kept


def _reported_failures(payload: Any, batch_ids: set[str]) -> set[str] | None:
    """`batchItemFailures` ids, or None when the response is invalid (Lambda fails the batch)."""
    if payload is None:
        return set()
    if not isinstance(payload, dict):
        return None
    items = payload.get("batchItemFailures") or []
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed.add(identifier)
    return failed


def _with_rest_of_failed_groups(records: Iterable[dict[str, Any]], failed: set[str]) -> set[str]:
    """FIFO order: a failed message keeps every later message of its group on the queue."""
    kept: set[str] = set()
    stopped_groups: set[str] = set()
    for record in records:
        group = record["attributes"].get("MessageGroupId")
        if group is None:
            kept.update({record["messageId"]} & failed)
        elif record["messageId"] in failed or group in stopped_groups:
            kept.add(record["messageId"])
            stopped_groups.add(group)
    return kept
