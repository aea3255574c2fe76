"""The local stack behind `octag up`: PostgreSQL, the AWS endpoint, the handlers, gateway,
SQS pollers and schedules, started in dependency order and stopped in reverse."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from local.aws_endpoint import LocalAwsEndpoint
from local.demo_seed import queue_catalog_if_empty
from local.event_sources import SqsEventSourcePoller
from local.gateway import Gateway
from local.lambda_runtime import LambdaRuntime
from local.provision import LocalResources, provision
from local.scheduler import Scheduler
from octag import db
from octag.aws import client
from octag.config import Settings, get_settings
from octag.db.embedded import EmbeddedPostgres
from octag.db.migrations import migrate
from octag.manifest import DEFAULT_TEMPLATE, FunctionSpec, parse_manifest

logger = Logger(service="octag-local", child=True)

STACK_FILE = "stack.json"
ETL_JOBS_QUEUE = "EtlJobsQueue"  # logical id in template-local.yml of the queue the demo seed goes to


@dataclass
class Stack:
    settings: Settings
    database_url: str = ""
    aws_endpoint_url: str = ""
    _postgres: EmbeddedPostgres | None = None
    _aws: LocalAwsEndpoint | None = None
    _resources: LocalResources | None = None
    _runtime: LambdaRuntime | None = None
    _gateway: Gateway | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _stoppers: list[Any] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.settings.resolved_data_dir

    async def start(self) -> None:
        settings = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        manifest = parse_manifest(settings.template or DEFAULT_TEMPLATE)

        if settings.database_url:
            self.database_url = settings.database_url
        else:
            self._postgres = EmbeddedPostgres(self.data_dir / "postgres")
            self.database_url = await asyncio.to_thread(self._postgres.start)
        os.environ["DATABASE_URL"] = self.database_url  # this process's own octag.db (seeding)
        get_settings.cache_clear()
        applied = await asyncio.to_thread(migrate, self.database_url)
        logger.info("database ready", extra={"migrations_applied": [m.name for m in applied]})

        if settings.aws_endpoint_url:
            self.aws_endpoint_url = settings.aws_endpoint_url
        else:
            self._aws = LocalAwsEndpoint()
            self.aws_endpoint_url = await asyncio.to_thread(self._aws.start, settings.aws_port)
        # This process (CLI helpers, pollers) talks to the same endpoint as the handlers.
        os.environ["AWS_ENDPOINT_URL"] = self.aws_endpoint_url
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        resources = await asyncio.to_thread(provision, manifest, self.aws_endpoint_url, settings.aws_region)
        self._resources = resources

        self._runtime = LambdaRuntime(manifest, self._function_environment, settings.lambda_concurrency)
        self._gateway = Gateway(
            manifest,
            self._runtime,
            host=settings.host,
            http_port=settings.http_port,
            ws_port=settings.ws_port,
            idle_timeout=settings.ws_idle_timeout,
        )
        await self._gateway.start()

        sqs = client("sqs", endpoint_url=self.aws_endpoint_url)
        for source in manifest.sqs_sources:
            if not source.enabled:
                continue
            queue = manifest.queues[source.queue]
            poller = SqsEventSourcePoller(
                source,
                queue,
                resources.refs[queue.logical_id],
                resources.attrs[(queue.logical_id, "Arn")],
                self._runtime,
                sqs,
            )
            self._stoppers.append(poller)
            self._tasks.append(asyncio.create_task(poller.run(), name=f"sqs:{source.function}:{queue.name}"))
        scheduler = Scheduler(
            manifest.schedules, self._runtime, region=resources.region, account_id=resources.account_id
        )
        self._stoppers.append(scheduler)
        self._tasks.append(asyncio.create_task(scheduler.run(), name="scheduler"))

        if settings.seed_demo:
            self._tasks.append(asyncio.create_task(self._seed(), name="demo seed"))
        self._write_stack_file()

    async def _seed(self) -> None:
        """The demo catalog goes through the ETL queue and worker like any job."""
        assert self._resources is not None
        queue_url = self._resources.refs[ETL_JOBS_QUEUE]
        try:
            job = await asyncio.to_thread(queue_catalog_if_empty, queue_url)
        except Exception:
            logger.exception("could not queue the demo catalog")
            return
        if job is not None:
            logger.info("demo catalog queued", extra={"job_id": str(job.id)})

    def _function_environment(self, spec: FunctionSpec) -> Mapping[str, str]:
        assert self._resources is not None and self._gateway is not None
        env = dict(self._resources.environment(spec))
        env.update(
            {
                "OCTAG_ENV": "local",
                "OCTAG_DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "AWS_ENDPOINT_URL": self.aws_endpoint_url,
                "AWS_REGION": self.settings.aws_region,
                "AWS_DEFAULT_REGION": self.settings.aws_region,
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                "WEBSOCKET_ENDPOINT_URL": self._gateway.management_url,
                "POWERTOOLS_LOG_LEVEL": self.settings.log_level,
            }
        )
        return env

    @property
    def http_url(self) -> str:
        return self._gateway.http_url if self._gateway else ""

    @property
    def ws_url(self) -> str:
        return self._gateway.ws_url if self._gateway else ""

    @property
    def management_url(self) -> str:
        return self._gateway.management_url if self._gateway else ""

    def _shared_environment(self) -> dict[str, str]:
        """The resolved environment every function shares (queue URLs, secret ids, ...), for the CLI."""
        if self._resources is None:
            return {}
        manifest = self._runtime.manifest if self._runtime else None
        envs = [
            self._resources.environment(spec) for spec in (manifest.functions.values() if manifest else ())
        ]
        return {k: v for k, v in envs[0].items() if all(e.get(k) == v for e in envs)} if envs else {}

    def _write_stack_file(self) -> None:
        info = {
            "pid": os.getpid(),
            "http_url": self.http_url,
            "ws_url": self.ws_url,
            "management_url": self.management_url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "database_url": self.database_url,
            "environment": self._shared_environment(),
        }
        (self.data_dir / STACK_FILE).write_text(json.dumps(info, indent=2))

    async def stop(self) -> None:
        for stopper in self._stoppers:
            stopper.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._gateway:
            await self._gateway.stop()
        if self._runtime:
            await self._runtime.close()
        await asyncio.to_thread(db.close_pool)
        if self._aws:
            await asyncio.to_thread(self._aws.stop)
        if self._postgres:
            await asyncio.to_thread(self._postgres.stop)
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / STACK_FILE).unlink()


async def serve(settings: Settings, ready: Any = None) -> None:
    """Run the stack until SIGINT/SIGTERM; `ready(stack)` is called once everything answers."""
    stack = Stack(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await stack.start()
        if ready:
            ready(stack)
        await stopping.wait()
    finally:
        await stack.stop()
