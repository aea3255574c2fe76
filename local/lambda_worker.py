"""One Lambda execution environment: a process that imports a handler once and serves invocations.

Protocol (length-prefixed JSON): requests on stdin, replies on the file descriptor named in argv,
so whatever the handler prints on stdout/stderr stays a log line, as in Lambda.
Run as: python -m local.lambda_worker CODE_DIR HANDLER REPLY_FD
"""

from __future__ import annotations

import importlib
import json
import os
import struct
import sys
import time
import traceback
from typing import Any, BinaryIO

_HEADER = struct.Struct(">I")


def read_message(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return json.loads(stream.read(size))


def encode_message(message: Any) -> bytes:
    body = json.dumps(message, ensure_ascii=False, default=str).encode()
    return _HEADER.pack(len(body)) + body


class LambdaContext:
    """The attributes and method Lambda's Python runtime gives a handler."""

    def __init__(self, request_id: str, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        region = os.environ.get("AWS_REGION", "us-east-1")
        self.invoked_function_arn = f"arn:aws:lambda:{region}:000000000000:function:{self.function_name}"
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.aws_request_id = request_id
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_exception(exc),
    }


def main() -> None:
    code_dir, handler_path, reply_fd = sys.argv[1], sys.argv[2], int(sys.argv[3])
    requests = sys.stdin.buffer
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the handler must not read our protocol
    replies = os.fdopen(reply_fd, "wb", buffering=0)
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)

    module_name, _, function_name = handler_path.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as exc:  # reported like Lambda's Runtime.ImportModuleError
        replies.write(
            encode_message({"type": "init_error", "error": _error(exc, "Runtime.ImportModuleError")})
        )
        return
    replies.write(encode_message({"type": "ready"}))

    while (request := read_message(requests)) is not None:
        context = LambdaContext(request["request_id"], request["deadline_ms"])
        try:
            result = handler(request["event"], context)
            reply = {"type": "result", "payload": json.loads(json.dumps(result))}
        except Exception as exc:
            reply = {"type": "error", "error": _error(exc)}
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(encode_message(reply))


if __name__ == "__main__":
    main()
