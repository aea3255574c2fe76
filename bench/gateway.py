"""Gateway overhead: a no-op REST route and a WebSocket echo through the local API Gateway emulator,
side by side with calling the same handlers in-process.

Runs `octag up` on a throwaway data dir with bench/fixtures/template.yml, so the client and the
gateway are separate processes, as they are for a developer. Usage:

    .venv/bin/python bench/gateway.py [--requests 2000] [--messages 1000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_handler(name: str) -> Callable[[dict[str, Any], Any], Any]:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", FIXTURES / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler  # type: ignore[no-any-return]


def summarize(label: str, latencies_s: list[float], wall_s: float) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "label": label,
        "n": len(ms),
        "per_s": len(ms) / wall_s,
        "p50_ms": statistics.median(ms),
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
    }


def timed(n: int, call: Callable[[], Any]) -> dict[str, Any]:
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t)
    return {"latencies": latencies, "wall": time.perf_counter() - started}


def start_stack(
    data_dir: Path, http_port: int, ws_port: int, template: Path = FIXTURES / "template.yml"
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """`octag up` in a subprocess on a throwaway data dir; returns it and its stack.json."""
    env = dict(
        os.environ,
        OCTAG_DATA_DIR=str(data_dir),
        OCTAG_HTTP_PORT=str(http_port),
        OCTAG_WS_PORT=str(ws_port),
        OCTAG_TEMPLATE=str(template),
        OCTAG_LOG_LEVEL="WARNING",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    log = open(data_dir / "octag-up.log", "wb")  # noqa: SIM115 - lives as long as the stack
    proc = subprocess.Popen(
        [sys.executable, "-m", "octag.cli", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    stack_file = data_dir / "stack.json"
    deadline = time.monotonic() + 120
    while not stack_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"octag up did not start; see {data_dir / 'octag-up.log'}")
        time.sleep(0.2)
    return proc, json.loads(stack_file.read_text())


async def concurrent_rest(url: str, total: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        queue = iter(range(total))

        async def worker() -> None:
            for _ in queue:
                t = time.perf_counter()
                r = await client.get(url)
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"latencies": latencies, "wall": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="octag-bench-") as tmp:
        proc, stack = start_stack(Path(tmp), free_port(), free_port())
        try:
            url = stack["http_url"] + "/noop"
            with httpx.Client() as client:
                for _ in range(50):  # warm the execution environment and the connection
                    client.get(url).raise_for_status()
                r = timed(args.requests, lambda: client.get(url).raise_for_status())
            rows.append(summarize("REST no-op via emulator (sequential)", r["latencies"], r["wall"]))
            asyncio.run(concurrent_rest(url, args.concurrency * 10, args.concurrency))  # scale out, warm
            r = asyncio.run(concurrent_rest(url, args.requests, args.concurrency))
            rows.append(
                summarize(
                    f"REST no-op via emulator ({args.concurrency} concurrent)", r["latencies"], r["wall"]
                )
            )
            noop = load_handler("noop")
            r = timed(args.requests, lambda: noop({"httpMethod": "GET", "path": "/noop"}, None))
            rows.append(summarize("REST no-op handler in-process", r["latencies"], r["wall"]))

            os.environ["WEBSOCKET_ENDPOINT_URL"] = stack["management_url"]
            echo = load_handler("echo")
            with connect(stack["ws_url"]) as ws:
                for _ in range(20):
                    ws.send('{"m":"warm"}')
                    ws.recv(timeout=10)

                def round_trip() -> None:
                    ws.send('{"m":"hello"}')
                    ws.recv(timeout=10)

                r = timed(args.messages, round_trip)
                rows.append(summarize("WebSocket echo via emulator", r["latencies"], r["wall"]))
                # Baseline: the same handler called in this process, still pushing through
                # @connections to this live connection (the handler's own work, minus the gateway).
                ws.send("whoami")
                connection_id = ws.recv(timeout=10)
                event = {
                    "requestContext": {"routeKey": "$default", "connectionId": connection_id},
                    "body": '{"m":"hello"}',
                }

                def in_process() -> None:
                    echo(event, None)
                    ws.recv(timeout=10)

                r = timed(args.messages, in_process)
                rows.append(
                    summarize("WebSocket echo handler in-process (+@connections)", r["latencies"], r["wall"])
                )
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    print(f"{'path':<48}{'n':>7}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for row in rows:
        print(
            f"{row['label']:<48}{row['n']:>7}{row['per_s']:>10.0f}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}"
        )
    by = {row["label"]: row for row in rows}
    for emulated, direct in (
        ("REST no-op via emulator (sequential)", "REST no-op handler in-process"),
        ("WebSocket echo via emulator", "WebSocket echo handler in-process (+@connections)"),
    ):
        a, b = by[emulated], by[direct]
        print(
            f"{emulated}: p50 {a['p50_ms'] / max(b['p50_ms'], 1e-6):.1f}x the in-process call, "
            f"+{a['p50_ms'] - b['p50_ms']:.3f} ms per request"
        )


if __name__ == "__main__":
    main()
