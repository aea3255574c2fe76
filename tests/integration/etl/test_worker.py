"""The ETL worker handler on SQS batches: jobs run once, poison messages are failed for the DLQ."""

from __future__ import annotations

import copy
import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from octag import db
from octag.etl.jobs import JobSource, create_job, get_job
from tests.integration.etl.test_pipeline import RECORDS, write_jsonl

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_EVENT = json.loads((ROOT / "tests/fixtures/aws_events/sqs_event.json").read_text())


@pytest.fixture(scope="module")
def worker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("etl_worker_app", ROOT / "functions/etl_worker/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sqs_event(*bodies: str) -> dict[str, Any]:
    template = SAMPLE_EVENT["Records"][0]
    records = []
    for body in bodies:
        record = copy.deepcopy(template)
        record.update(messageId=str(uuid.uuid4()), body=body)
        records.append(record)
    return {"Records": records}


def context() -> Any:
    return SimpleNamespace(
        function_name="etl-worker", memory_limit_in_mb=2048, aws_request_id=str(uuid.uuid4()),
        invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:etl-worker",
    )  # fmt: skip


def test_poison_messages_fail_alone_and_the_job_in_the_same_batch_runs(octag_db, tmp_path, worker):
    with db.connection() as conn:
        job = create_job(conn, "docs", JobSource(paths=[str(write_jsonl(tmp_path / "r.jsonl", RECORDS))]))
    event = sqs_event(
        "not json", json.dumps({"job_id": str(job.id)}), json.dumps({"job": 1}), '{"job_id": "x"}'
    )

    result = worker.handler(event, context())

    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
    ids = [record["messageId"] for record in event["Records"]]
    assert failed == {ids[0], ids[2], ids[3]}  # reported back, so SQS redrives them to the DLQ
    with db.connection() as conn:
        assert get_job(conn, job.id).status == "succeeded"


def test_a_redelivered_job_message_does_no_work_twice(octag_db, tmp_path, worker):
    with db.connection() as conn:
        job = create_job(conn, "docs", JobSource(paths=[str(write_jsonl(tmp_path / "r.jsonl", RECORDS))]))
    body = json.dumps({"job_id": str(job.id)})
    assert worker.handler(sqs_event(body), context())["batchItemFailures"] == []
    assert worker.handler(sqs_event(body), context())["batchItemFailures"] == []
    with db.connection() as conn:
        done = get_job(conn, job.id)
        chunks = conn.execute("SELECT count(*) FROM chunks").fetchone()
    assert (done.attempts, done.documents_loaded, chunks[0]) == (1, 3, done.chunks_loaded)
