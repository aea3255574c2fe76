"""The local AWS endpoint: moto's server (SQS, S3, DynamoDB, Secrets Manager, SNS, STS) on 127.0.0.1.

moto keeps its state in module globals, so two servers in one process would share every queue and
table. Each endpoint therefore runs in its own child process (`python -m local.aws_endpoint PORT`),
which also ends by itself when its parent goes away (its stdin closes). State is in memory:
resources are (re)created by `local.provision` at each start.
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import threading
from typing import Any

import boto3

_READY_TIMEOUT = 30.0
_HOST = "127.0.0.1"


def local_client(service: str, endpoint_url: str, region: str) -> Any:
    """A boto3 client for a local endpoint; never falls through to a real AWS profile."""
    return boto3.session.Session().client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )


class LocalAwsEndpoint:
    """A moto server in a child process; `start()` returns its URL."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the local AWS endpoint is not started")
        return self._url

    def start(self, port: int = 0) -> str:
        """Start the server on `port` (0: any free port) and return its URL once it answers."""
        if self._process is not None:
            raise RuntimeError("the local AWS endpoint is already started")
        process = subprocess.Popen(
            [sys.executable, "-m", "local.aws_endpoint", str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], _READY_TIMEOUT)
        line = process.stdout.readline() if ready else b""
        try:
            reply = json.loads(line) if line else {"error": "no answer from the moto server"}
        except ValueError:
            reply = {"error": f"unexpected output: {line[:200]!r}"}
        if "port" not in reply:
            _terminate(process)
            raise RuntimeError(f"local AWS endpoint did not start on port {port}: {reply['error']}")
        self._process = process
        self._url = f"http://{_HOST}:{reply['port']}"
        return self._url

    def stop(self) -> None:
        """Stop the server (its state is gone with it)."""
        if self._process is not None:
            _terminate(self._process)
        self._process = None
        self._url = None

    def __enter__(self) -> LocalAwsEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _terminate(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # the state is in memory only: nothing to flush
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for stream in (process.stdin, process.stdout):
        if stream:
            stream.close()


def _serve(port: int) -> None:
    """Child process: serve moto until stdin closes. Replies one JSON line: {"port"} or {"error"}."""
    # ThreadedMotoServer binds inside its thread and waits forever if the bind fails, so the
    # child builds the same WSGI server itself and reports a taken port at once.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    _fix_fifo_redelivery_order()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    reply = sys.stdout
    sys.stdout = sys.stderr
    try:
        server = make_server(
            _HOST,
            port,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
    except OSError as exc:
        reply.write(json.dumps({"error": str(exc)}) + "\n")
        reply.flush()
        raise SystemExit(1) from None
    reply.write(json.dumps({"port": server.server_address[1]}) + "\n")
    reply.flush()

    def shutdown_when_parent_closes_stdin() -> None:
        sys.stdin.buffer.read()
        server.shutdown()

    threading.Thread(target=shutdown_when_parent_closes_stdin, daemon=True).start()
    server.serve_forever()


def _fix_fifo_redelivery_order() -> None:
    """moto 5.x counts a FIFO group as in flight while any message of it *was* received, even after
    its visibility timeout; two such messages then come back newest first. In flight means
    received and still invisible, so count only those (this process is moto's alone)."""
    from moto.sqs.models import Queue

    def pending_message_groups(queue: Any) -> set[str]:
        return {m.group_id for m in queue.pending_messages if m.group_id is not None and not m.visible}

    if not isinstance(Queue.__dict__.get("pending_message_groups"), property):
        raise RuntimeError("moto's SQS Queue changed: recheck _fix_fifo_redelivery_order")
    Queue.pending_message_groups = property(pending_message_groups)  # type: ignore[method-assign,assignment]


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
