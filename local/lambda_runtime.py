"""Lambda execution environments for local invocations.

Each function gets up to N worker processes (`local.lambda_worker`) with its own environment from
the template; one invocation at a time per worker, as in Lambda. A timeout kills the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_lambda_powertools import Logger

from local.lambda_worker import encode_message
from octag.manifest import FunctionSpec, Manifest

logger = Logger(service="octag-local", child=False)

_HEADER_SIZE = 4


@dataclass
class Invocation:
    """The outcome of one invocation, as the Lambda service would see it."""

    function: str
    request_id: str
    status: Literal["ok", "error", "timeout"]
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    cold_start: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _WorkerGone(Exception):
    pass


@dataclass(eq=False)
class ExecutionEnvironment:
    """One worker process."""

    spec: FunctionSpec
    process: asyncio.subprocess.Process
    replies: asyncio.StreamReader
    _transport: asyncio.BaseTransport = field(repr=False)

    @classmethod
    async def start(cls, spec: FunctionSpec, env: Mapping[str, str]) -> ExecutionEnvironment:
        read_fd, write_fd = os.pipe()
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "local.lambda_worker",
                str(spec.code_dir),
                spec.handler,
                str(write_fd),
                stdin=asyncio.subprocess.PIPE,
                env=dict(env),
                pass_fds=(write_fd,),
            )
        finally:
            os.close(write_fd)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
        )
        return cls(spec, process, reader, transport)

    async def read(self) -> dict[str, Any]:
        try:
            header = await self.replies.readexactly(_HEADER_SIZE)
            body = await self.replies.readexactly(int.from_bytes(header, "big"))
        except asyncio.IncompleteReadError:
            raise _WorkerGone from None
        return dict(json.loads(body))

    async def send(self, message: Any) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(encode_message(message))
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            raise _WorkerGone from None

    async def kill(self) -> None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()
        self._transport.close()

    async def stop(self) -> None:
        """Close stdin so the worker ends its loop; kill it if it does not."""
        if self.process.returncode is None and self.process.stdin is not None:
            self.process.stdin.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), 2)
        await self.kill()


class FunctionPool:
    """The execution environments of one function, scaled on demand up to `concurrency`."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], concurrency: int) -> None:
        self.spec = spec
        self.env = env
        self._idle: list[ExecutionEnvironment] = []
        self._busy: set[ExecutionEnvironment] = set()
        self._slots = asyncio.Semaphore(concurrency)

    async def invoke(self, event: Any, request_id: str) -> Invocation:
        async with self._slots:
            started = time.perf_counter()
            cold = not self._idle
            result = await self._invoke(event, request_id, cold)
            result.duration_ms = (time.perf_counter() - started) * 1000
            return result

    async def _invoke(self, event: Any, request_id: str, cold: bool) -> Invocation:
        name, timeout = self.spec.name, self.spec.timeout
        try:
            # AWS allows 10 s of init; a shared laptop starting several environments at once needs longer.
            worker = self._idle.pop() if self._idle else await self._start(max(_INIT_TIMEOUT, timeout))
        except _InitFailed as failed:
            return Invocation(name, request_id, "error", error=failed.error, cold_start=True)
        deadline = time.time() + timeout  # as in AWS, the init phase is not part of the timeout
        self._busy.add(worker)
        keep = False
        try:
            await worker.send({"request_id": request_id, "event": event, "deadline_ms": int(deadline * 1000)})
            reply = await asyncio.wait_for(worker.read(), max(0.0, deadline - time.time()))
            keep = True
        except TimeoutError:
            message = f"Task timed out after {timeout:.2f} seconds"
            return Invocation(
                name,
                request_id,
                "timeout",
                error={"errorMessage": message, "errorType": "Sandbox.Timedout"},
                cold_start=cold,
            )
        except _WorkerGone:
            return Invocation(
                name,
                request_id,
                "error",
                error={
                    "errorMessage": "Runtime exited without providing a reason",
                    "errorType": "Runtime.ExitError",
                },
                cold_start=cold,
            )
        finally:
            self._busy.discard(worker)
            if keep:
                self._idle.append(worker)
            else:
                await worker.kill()
        if reply["type"] == "result":
            return Invocation(name, request_id, "ok", payload=reply["payload"], cold_start=cold)
        return Invocation(name, request_id, "error", error=reply["error"], cold_start=cold)

    async def _start(self, init_timeout: float) -> ExecutionEnvironment:
        worker = await ExecutionEnvironment.start(self.spec, self.env)
        try:
            ready = await asyncio.wait_for(worker.read(), init_timeout)
        except (TimeoutError, _WorkerGone):
            await worker.kill()
            raise _InitFailed(
                {"errorMessage": "Init phase failed", "errorType": "Runtime.InitError"}
            ) from None
        if ready["type"] != "ready":
            await worker.kill()
            raise _InitFailed(ready["error"])
        return worker

    async def close(self) -> None:
        workers = [*self._idle, *self._busy]
        self._idle.clear()
        await asyncio.gather(*(w.stop() for w in workers), return_exceptions=True)


_INIT_TIMEOUT = 60.0


class _InitFailed(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("errorMessage"))
        self.error = error


class LambdaRuntime:
    """Invokes the template's functions by name, each in its own environment."""

    def __init__(
        self,
        manifest: Manifest,
        environment_for: Callable[[FunctionSpec], Mapping[str, str]],
        concurrency: int = 4,
    ) -> None:
        self.manifest = manifest
        self._environment_for = environment_for
        self._concurrency = concurrency
        self._pools: dict[str, FunctionPool] = {}

    def environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self._environment_for(spec))
        env.update(
            {
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": str(spec.code_dir),
                "_HANDLER": spec.handler,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def pool(self, name: str) -> FunctionPool:
        if name not in self._pools:
            spec = self.manifest.function(name)
            self._pools[name] = FunctionPool(spec, self.environment(spec), self._concurrency)
        return self._pools[name]

    async def invoke(self, name: str, event: Any, request_id: str | None = None) -> Invocation:
        request_id = request_id or str(uuid.uuid4())
        result = await self.pool(name).invoke(event, request_id)
        logger.info(
            "invoke",
            extra={
                "function": name,
                "request_id": request_id,
                "status": result.status,
                "duration_ms": round(result.duration_ms, 2),
                "cold_start": result.cold_start,
            },
        )
        if result.error:
            logger.warning(
                "invoke failed",
                extra={
                    "function": name,
                    "request_id": request_id,
                    "error_type": result.error.get("errorType"),
                    "error": result.error.get("errorMessage"),
                },
            )
        return result

    async def close(self) -> None:
        await asyncio.gather(*(p.close() for p in self._pools.values()), return_exceptions=True)
        self._pools.clear()
