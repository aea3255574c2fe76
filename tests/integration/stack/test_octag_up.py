"""`octag up` end to end: real handlers, gateway, embedded PostgreSQL and local AWS endpoint."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid

import boto3
import httpx
import psycopg
from websockets.sync.client import connect

from tests.integration.stack.running import sign_in, websocket_url
from tests.support.processes import alive, descendants, processes_using


def _wait_for(predicate, timeout: float = 60, interval: float = 0.25):
    deadline = time.monotonic() + timeout  # hang guard only
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_health_reports_database_and_aws(stack):
    response = httpx.get(stack.http_url + "/api/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["aws"]["ok"]


def test_websocket_ping_answers_pong_and_unknown_actions_get_an_error_frame(stack):
    with connect(websocket_url(stack, str(sign_in(stack)["access_token"]))) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=30)) == {"type": "pong"}
        ws.send(json.dumps({"action": "dance"}))
        frame = json.loads(ws.recv(timeout=30))
        assert frame["type"] == "error" and frame["code"] == "unknown_action"
        ws.send(json.dumps({"action": "ping"}))  # the connection stays usable
        assert json.loads(ws.recv(timeout=30)) == {"type": "pong"}


def test_critical_queue_events_are_stored_once(stack):
    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.info["aws_endpoint_url"],
        region_name="ap-northeast-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queue_url = sqs.get_queue_url(QueueName="octag-critical-events")["QueueUrl"]
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {"event_id": event_id, "event_type": "user_login", "user_id": "u1", "payload": {"ip": "127.0.0.1"}}
    )
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)
    sqs.send_message(QueueUrl=queue_url, MessageBody=body)  # a redelivery must not duplicate

    def stored() -> list[tuple]:
        with psycopg.connect(stack.info["database_url"]) as conn:
            return conn.execute(
                "SELECT event_type, user_id, payload FROM events WHERE event_id = %s", (event_id,)
            ).fetchall()

    assert _wait_for(stored) == [("user_login", "u1", {"ip": "127.0.0.1"})]
    _wait_for(
        lambda: (
            sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
            == "0"
        )
    )
    assert len(stored()) == 1


def test_two_stacks_side_by_side_then_sigterm_leaves_no_process(stack_factory):
    first, second = stack_factory("first"), stack_factory("second")
    assert first.http_url != second.http_url
    for running in (first, second):
        assert httpx.get(running.http_url + "/api/health", timeout=10).status_code == 200
        token = str(sign_in(running)["access_token"])  # keys differ per stack: sign in to each
        with connect(websocket_url(running, token)) as ws:  # start a worker process for the chat function
            ws.send(json.dumps({"action": "ping"}))
            assert json.loads(ws.recv(timeout=30)) == {"type": "pong"}

    for running in (first, second):
        children = descendants(running.process.pid)
        postgres = processes_using(running.data_dir)
        assert children and postgres
        assert running.terminate(signal.SIGTERM) == 0
        _wait_for(lambda c=children | postgres: not any(alive(p) for p in c), timeout=30)
        assert not (running.data_dir / "stack.json").exists()


def test_health_is_503_json_when_the_database_is_down(stack_factory):
    running = stack_factory("dbdown")
    postmaster = _wait_for(lambda: processes_using(running.data_dir))
    # Stop the embedded server behind the stack's back (SIGQUIT: immediate shutdown), as a crash would.
    pid = int((running.data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    os.kill(pid, signal.SIGQUIT)
    _wait_for(lambda: not any(alive(p) for p in postmaster), timeout=30)
    response = httpx.get(running.http_url + "/api/health", timeout=30)
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["aws"]["ok"] is True
    assert body["error"]["code"] == "unavailable"
    assert running.terminate() == 0


def test_killed_stack_leaves_postgres_that_the_next_start_reuses_and_stops(stack_factory, local_data_dir):
    data_dir = local_data_dir
    first = stack_factory("killed", data_dir=data_dir)
    first.terminate(signal.SIGKILL)
    assert processes_using(data_dir), "the embedded server outlives a SIGKILLed octag up"

    second = stack_factory("killed", data_dir=data_dir)
    assert httpx.get(second.http_url + "/api/health", timeout=10).status_code == 200
    assert second.terminate() == 0
    _wait_for(lambda: not any(alive(p) for p in processes_using(data_dir)), timeout=30)
