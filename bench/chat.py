"""Chat turn latency end to end: WebSocket streaming through the local API Gateway emulator at 1, 50
and 200 concurrent clients, with the server's own stage breakdown and time to first chunk, beside two
peers in the same run on the same database: the same turns through `POST /api/chat` (REST,
non-streaming, same gateway) and `run_turn` called in this process (no gateway, no Lambda runtime,
no @connections).

Starts `octag up` (template-local.yml, demo catalog seeded through the ETL queue, offline LLM
provider) on a throwaway data dir, waits for the seed job, signs users in, warms every execution
environment, then for each concurrency level N runs N closed-loop clients: each on its own
WebSocket (or REST client, or in-process caller), sending its conversation's turns one after the
other, each turn after the previous answer. The message mix is fixed by --seed: recommendations with
regions, genres, party sizes and difficulty; inquiries about real catalog themes and cafes; general
chat; follow-ups in the same session ("4명이면?", "그 중에 제일 쉬운 거"). Client i speaks the same
lines at every level and on every surface. A level runs at least --min-turns turns: at level 1 the one
client holds several conversations in a row. Sign-ins cost two argon2id hashes each, so clients share
--users accounts round robin (at 200 clients: 50 users × 4 connections).

Prints the tables (latency, time to first chunk, server stages, CPU per process and how busy the
machine was with other work meanwhile), then one JSON line with every figure. The stack inherits this
process's environment: e.g. `OPENBLAS_NUM_THREADS=1` reaches every execution environment. `--quick`: levels 1 and 50, 2 turns per conversation, 20 users (about 3 minutes on
2 cores; the full run about 8).

Usage:

    .venv/bin/python bench/chat.py [--quick] [--levels 1,50,200] [--turns 4] [--users 50] [--seed 7]
                                   [--surfaces websocket,rest,in-process] [--turns-out FILE.jsonl]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil
import websockets
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "layers" / "octag"))  # the in-process peer imports octag
CATALOG = ROOT / "local" / "seed" / "seoul-themes.seed.json"
STAGES = ("nlu", "retrieval", "answer", "persistence", "events")
SURFACES = ("websocket", "rest", "in-process")
FRAME_TIMEOUT = 120.0  # hang guard only
# Inherited by `octag up` and its execution environments; the query embedder's numpy uses OpenBLAS.
THREAD_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

# --- The message mix ------------------------------------------------------------------------------

# Areas weighted roughly by how many cafes the seed catalog has in each.
REGIONS = {"강남": 8, "홍대": 6, "건대": 3, "신촌": 2, "대학로": 2, "잠실": 2, "신림": 1, "성수": 1}
GENRES = {
    "공포": ("무서운", "공포", "호러"),
    "추리": ("추리",),
    "감성": ("감성",),
    "코미디": ("웃긴", "코미디"),
    "스릴러": ("스릴러",),
    "판타지": ("판타지",),
    "미스터리": ("미스터리",),
    "SF": ("SF",),
}
RECOMMENDATIONS = (
    "{region}에서 {genre} 테마 추천해줘",
    "{region} {party}명이 할 만한 방탈출 있어?",
    "{party}명이서 {genre} 테마 하고 싶어",
    "{region} 초보도 할 수 있는 쉬운 테마 추천",
    "{region}에서 어려운 {genre} 테마 추천해줘",
    "{genre} 테마 {party}인 추천 {region}",
    "{region} 근처 방탈출 추천",
    "난이도 중간쯤 되는 {genre} 테마",
    "방탈출 처음인데 쉬운 거 추천해줘요",
)
# Real theme names from local/seed/seoul-themes.seed.json (checked at start), and how people type them.
THEMES = {
    "월야애담": "월야애담",
    "FOREST (포레스트)": "포레스트",
    "쇼생크 탈출": "쇼생크 탈출",
    "타이타닉": "타이타닉",
    "해리포터": "해리포터",
    "미녀와 야수": "미녀와 야수",
    "인형괴담": "인형괴담",
    "층간소음": "층간소음",
    "알카트라즈": "알카트라즈",
    "빠삐용": "빠삐용",
    "강남목욕탕": "강남목욕탕",
    "신촌성심병원": "신촌성심병원",
    "MAYDAY (메이데이)": "메이데이",
    "좀비 바이러스": "좀비 바이러스",
}
THEME_QUESTIONS = (
    "{theme} 난이도 어때?",
    "{theme} 몇 명까지 할 수 있어?",
    "{theme} 가격 얼마야?",
    "{theme} 어디에 있어?",
    "{theme} 플레이 시간 몇 분이에요?",
    "{theme} 예약하려면 어떻게 해?",
)
CAFE_QUESTIONS = (
    "제로월드 강남점 위치 어디야?",
    "키이스케이프 홍대점 몇시에 열어요?",
    "마스터키 건대점 전화번호 알려줘",
    "넥스트에디션 잠실점 위치 좀",
    "퍼즐팩토리 홍대본점 예약 어떻게 해?",
)
GENERAL = (
    "안녕하세요",
    "넌 뭘 할 수 있어?",
    "고마워 덕분에 잘 놀았어",
    "방탈출 좋아해?",
    "오늘 날씨 어때?",
    "우리 팀 결국 탈출 실패했어 ㅠㅠ",
)
FOLLOW_UPS = (
    "{party}명이면?",
    "그 중에 제일 쉬운 거",
    "그 중에 제일 싼 거",
    "그 중에 제일 짧은 거",
    "{other_genre} 말고 {genre_topic}?",
    "{region_topic} 어때?",
    "좀 더 어려운 거 없어?",
)


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # recommendation | inquiry | general | follow-up


def topic(word: str) -> str:
    """The word with its topic particle: 은 after a final consonant, else 는."""
    last = word[-1]
    final_consonant = "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 != 0
    return word + ("은" if final_consonant else "는")


def check_theme_names() -> None:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    names = {theme["name"] for cafe in catalog["cafes"] for theme in cafe["themes"]}
    missing = [name for name in THEMES if name not in names]
    if missing:
        raise SystemExit(f"themes not in the seed catalog: {missing}")


def conversation(rng: random.Random, turns: int) -> list[Line]:
    """One user's turns in one session: an opener, then follow-ups or new questions."""

    def region() -> str:
        return rng.choices(list(REGIONS), weights=list(REGIONS.values()))[0]

    def genre() -> str:
        return rng.choice(GENRES[rng.choice(list(GENRES))])

    def fresh() -> Line:
        roll = rng.random()
        if roll < 0.55:
            template = rng.choice(RECOMMENDATIONS)
            text = template.format(region=region(), genre=genre(), party=rng.randint(2, 6))
            return Line(text, "recommendation")
        if roll < 0.80:
            if rng.random() < 0.75:
                theme = THEMES[rng.choice(list(THEMES))]
                return Line(rng.choice(THEME_QUESTIONS).format(theme=theme), "inquiry")
            return Line(rng.choice(CAFE_QUESTIONS), "inquiry")
        return Line(rng.choice(GENERAL), "general")

    lines = [fresh()]
    while len(lines) < turns:
        after_list = lines[-1].kind in ("recommendation", "follow-up")
        if after_list and rng.random() < 0.6:
            first, second = rng.sample(list(GENRES), 2)
            text = rng.choice(FOLLOW_UPS).format(
                party=rng.randint(2, 6),
                genre_topic=topic(first),
                other_genre=second,
                region_topic=topic(region()),
            )
            line = Line(text, "follow-up")
        else:
            line = fresh()
        if line.text != lines[-1].text:
            lines.append(line)
    return lines


def scripts_for(seed: int, clients: int, conversations: int, turns: int) -> list[list[list[Line]]]:
    """Per client, its conversations (each a new session); client i's are the same at every level."""
    return [
        [conversation(random.Random(f"{seed}:{client}:{n}"), turns) for n in range(conversations)]
        for client in range(clients)
    ]


# --- Measurements ---------------------------------------------------------------------------------


@dataclass
class Turn:
    surface: str
    level: int
    client: int
    index: int  # position in the client's script
    line: Line
    sent: float = 0.0  # perf_counter seconds
    acked: float | None = None
    first_chunk: float | None = None
    done: float = 0.0
    chunks: int = 0
    error: str | None = None
    intent: str | None = None
    answer: str | None = None
    server_ms: float | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def latency_ms(self) -> float:
        return (self.done - self.sent) * 1000


@dataclass
class Run:
    surface: str
    level: int
    turns: list[Turn]
    wall_s: float
    connect_ms: list[float] = field(default_factory=list)
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds by process group
    cpu_window_s: float = 0.0  # over which cpu_s was measured (the run, its connects and closes)

    @property
    def ok(self) -> list[Turn]:
        return [t for t in self.turns if t.error is None]


def pct(values: Iterable[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN when empty."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def record_done(turn: Turn, body: dict[str, Any]) -> None:
    turn.intent = body.get("intent")
    turn.answer = body.get("answer")
    turn.server_ms = body.get("latency_ms")
    turn.timings = dict(body.get("timings") or {})


# --- Where the CPU goes ---------------------------------------------------------------------------

CPU_GROUPS = (
    "gateway",
    "aws",
    "λ chat",
    "λ chat_api",
    "λ authorizer",
    "λ events",
    "λ other",
    "postgres",
    "bench",
)
CPU_LEGEND = (
    "gateway: the `octag up` process (REST + WebSocket + @connections emulator, SQS pollers); "
    "aws: the local AWS endpoint (SQS, DynamoDB, ...); λ X: function X's execution environments; "
    "bench: this process (the clients, and run_turn for the in-process peer); "
    "others: every other process on the machine (not part of this benchmark)"
)


def _group(proc: psutil.Process, stack_pid: int) -> str:
    if proc.pid == stack_pid:
        return "gateway"
    cmdline = proc.cmdline()
    if "local.aws_endpoint" in cmdline:
        return "aws"
    if "local.lambda_worker" in cmdline:
        code_dir = cmdline[cmdline.index("local.lambda_worker") + 1]
        name = f"λ {Path(code_dir).name}"
        return name if name in CPU_GROUPS else "λ other"
    if proc.name().startswith("postgres") or (cmdline and cmdline[0].endswith("postgres")):
        return "postgres"
    return "other"


def _postmaster(data_dir: Path) -> psutil.Process | None:
    """The embedded PostgreSQL server of this data dir (it detaches from `octag up`)."""
    wanted = str(data_dir / "postgres")
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if (
            "-D" in cmdline
            and cmdline.index("-D") + 1 < len(cmdline)
            and cmdline[cmdline.index("-D") + 1] == wanted
        ):
            return proc
    return None


def cpu_snapshot(stack: Stack) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) so far of the stack's processes and this one, by pid; pid -1 holds
    the whole machine's busy CPU seconds."""
    machine_times = psutil.cpu_times()
    out: dict[int, tuple[str, float]] = {
        -1: ("machine", sum(machine_times) - machine_times.idle - getattr(machine_times, "iowait", 0.0))
    }
    me = psutil.Process()
    times = me.cpu_times()
    out[me.pid] = ("bench", times.user + times.system)
    procs: list[psutil.Process] = []
    try:
        root = psutil.Process(stack.process.pid)
        procs += [root, *root.children(recursive=True)]
    except psutil.Error:
        return out
    postmaster = _postmaster(stack.data_dir)
    if postmaster is not None:
        with contextlib.suppress(psutil.Error):
            procs += [postmaster, *postmaster.children(recursive=True)]
    for proc in procs:
        try:
            times = proc.cpu_times()
            out[proc.pid] = (_group(proc, root.pid), times.user + times.system)
        except psutil.Error:
            continue
    return out


def cpu_delta(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds spent between two snapshots, by group (processes that exited in between are lost);
    `others`: the machine's busy time not spent by the stack or this process."""
    spent: dict[str, float] = {}
    for pid, (group, seconds) in after.items():
        if pid == -1:
            continue
        spent[group] = spent.get(group, 0.0) + seconds - (before[pid][1] if pid in before else 0.0)
    machine = after[-1][1] - before[-1][1]
    spent["others"] = max(0.0, machine - sum(spent.values()))
    return spent


# --- The stack ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    info: dict[str, Any]

    @property
    def http_url(self) -> str:
        return str(self.info["http_url"])

    def ws_url(self, token: str) -> str:
        return f"{self.info['ws_url']}/?token={quote(token)}"

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_stack(data_dir: Path, env_overrides: dict[str, str]) -> Stack:
    """`octag up` in a subprocess (as tests/integration/stack/running.py does), once healthy."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AWS_ENDPOINT_URL")}
    env.update(
        OCTAG_DATA_DIR=str(data_dir),
        OCTAG_HTTP_PORT=str(free_port()),
        OCTAG_WS_PORT=str(free_port()),
        **env_overrides,
    )
    log = open(data_dir / "octag-up.log", "ab")  # noqa: SIM115 - lives as long as the stack
    process = subprocess.Popen(
        [sys.executable, "-m", "octag.cli", "up"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    stack_file = data_dir / "stack.json"
    deadline = time.monotonic() + 180  # hang guard only
    while True:
        if process.poll() is not None:
            raise SystemExit(f"octag up exited with {process.returncode}; see {data_dir / 'octag-up.log'}")
        if stack_file.exists():
            info = json.loads(stack_file.read_text())
            if info.get("pid") == process.pid:
                try:
                    if httpx.get(info["http_url"] + "/api/health", timeout=10).status_code == 200:
                        return Stack(process, data_dir, info)
                except httpx.HTTPError:
                    pass
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"octag up did not become healthy; see {data_dir / 'octag-up.log'}")
        time.sleep(0.2)


def login(stack: Stack, email: str, password: str) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.http_url}/api/auth/login", json={"email": email, "password": password}, timeout=120
    )
    response.raise_for_status()
    return dict(response.json())


def sign_in(stack: Stack) -> dict[str, Any]:
    """A new user, registered through the API and logged in: the login response."""
    email, password = f"bench-{uuid.uuid4().hex[:12]}@example.com", uuid.uuid4().hex
    httpx.post(
        f"{stack.http_url}/api/auth/register", json={"email": email, "password": password}, timeout=120
    ).raise_for_status()
    return login(stack, email, password)


def wait_for_seed(stack: Stack, timeout: float = 600) -> dict[str, Any]:
    """The demo seed's ETL job once finished, polled through the jobs API as an admin made with
    `octag user create --role admin` (as tests/integration/conftest.py does)."""
    email, password = f"admin-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    env = {**os.environ, "DATABASE_URL": stack.info["database_url"], "OCTAG_DATA_DIR": str(stack.data_dir)}
    env.pop("AWS_ENDPOINT_URL", None)
    created = subprocess.run(
        [sys.executable, "-m", "octag.cli", "user", "create", "--email", email, "--password", password,
         "--role", "admin"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if created.returncode != 0:
        raise SystemExit(f"octag user create failed:\n{created.stdout}{created.stderr}")
    token = login(stack, email, password)["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + timeout  # hang guard only
    with httpx.Client(base_url=stack.http_url, headers=headers, timeout=60) as api:
        while True:
            jobs = api.get("/api/etl/jobs", params={"limit": 200})
            jobs.raise_for_status()
            seed = next((job for job in jobs.json()["jobs"] if job["created_by"] == "octag up"), None)
            if seed is not None:
                job = api.get(f"/api/etl/jobs/{seed['id']}").json()["job"]
                if job["status"] in ("succeeded", "partially_failed", "failed"):
                    return dict(job)
            if time.monotonic() > deadline:
                raise SystemExit(f"the demo seed job did not finish in {timeout:.0f} s: {seed}")
            time.sleep(0.5)


# --- WebSocket clients ----------------------------------------------------------------------------


async def ws_turn(ws: ClientConnection, turn: Turn, session_id: str | None) -> str | None:
    """One turn over an open socket; the session id to continue (None when the turn failed early)."""
    frame: dict[str, Any] = {"action": "sendMessage", "message": turn.line.text}
    if session_id:
        frame["sessionId"] = session_id
    turn.sent = time.perf_counter()
    await ws.send(json.dumps(frame, ensure_ascii=False))
    while True:
        received = json.loads(await asyncio.wait_for(ws.recv(), FRAME_TIMEOUT))
        now = time.perf_counter()
        kind = received.get("type")
        if kind == "ack":
            turn.acked = now
            session_id = received.get("session_id") or session_id
        elif kind == "chunk":
            turn.chunks += 1
            if turn.first_chunk is None:
                turn.first_chunk = now
        elif kind == "done":
            turn.done = now
            record_done(turn, received)
            return str(received.get("session_id") or session_id)
        else:  # an error frame, or the gateway's own {"message": ...}
            turn.done = now
            turn.error = str(received.get("code") or received.get("message") or received)[:200]
            return session_id


class ClientGone(Exception):
    """The client cannot go on (its socket is gone): the rest of its turns are not sent."""


async def play(
    scripts: list[list[list[Line]]],
    level: int,
    surface: str,
    send: Callable[[int, Turn, str | None], Awaitable[str | None]],
) -> tuple[list[Turn], float]:
    """`level` closed-loop clients at once, each sending its conversations' turns one after the other
    (`send(client, turn, session id)` returns the session id to continue with); the turns, and the
    wall time."""
    turns: list[Turn] = []

    async def client(n: int) -> None:
        index = 0
        for script in scripts[n]:
            session_id: str | None = None  # each conversation starts a session
            for line in script:
                turn = Turn(surface, level, n, index, line)
                turns.append(turn)
                index += 1
                try:
                    session_id = await send(n, turn, session_id)
                except ClientGone:
                    return

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(level)))
    return turns, time.perf_counter() - started


async def ws_level(
    stack: Stack, tokens: list[str], level: int, scripts: list[list[list[Line]]], surface: str = "websocket"
) -> Run:
    """`level` sockets opened first (timed apart), then every client's conversations at once."""
    connect_ms: list[float] = []

    async def open_one(n: int) -> ClientConnection:
        started = time.perf_counter()
        ws = await connect(
            stack.ws_url(tokens[n % len(tokens)]),
            open_timeout=FRAME_TIMEOUT,
            max_size=2**20,
            ping_interval=None,  # the emulator's idle timeout is 600 s; keep the wire quiet
        )
        connect_ms.append((time.perf_counter() - started) * 1000)
        return ws

    sockets = await asyncio.gather(*(open_one(n) for n in range(level)))

    async def send(n: int, turn: Turn, session_id: str | None) -> str | None:
        try:
            return await ws_turn(sockets[n], turn, session_id)
        except (TimeoutError, websockets.ConnectionClosed) as exc:
            turn.done = time.perf_counter()
            turn.error = f"{type(exc).__name__}: {exc}"[:200]
            raise ClientGone from exc

    turns, wall = await play(scripts, level, surface, send)
    await asyncio.gather(*(ws.close() for ws in sockets))
    return Run(surface, level, turns, wall, connect_ms)


# --- REST clients ---------------------------------------------------------------------------------


async def rest_level(
    stack: Stack, tokens: list[str], level: int, scripts: list[list[list[Line]]], surface: str = "rest"
) -> Run:
    limits = httpx.Limits(max_connections=level, max_keepalive_connections=level)
    async with httpx.AsyncClient(base_url=stack.http_url, timeout=FRAME_TIMEOUT, limits=limits) as http:

        async def send(n: int, turn: Turn, session_id: str | None) -> str | None:
            body: dict[str, Any] = {"message": turn.line.text}
            if session_id:
                body["session_id"] = session_id
            headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
            turn.sent = time.perf_counter()
            try:
                response = await http.post("/api/chat", json=body, headers=headers)
            except httpx.HTTPError as exc:
                turn.done = time.perf_counter()
                turn.error = f"{type(exc).__name__}: {exc}"[:200]
                return session_id
            turn.done = time.perf_counter()
            if response.status_code != 200:
                turn.error = f"HTTP {response.status_code}: {response.text[:150]}"
                return session_id
            result = response.json()
            record_done(turn, result)
            return str(result["session_id"])

        turns, wall = await play(scripts, level, surface, send)
    return Run(surface, level, turns, wall)


# --- In-process peer ------------------------------------------------------------------------------


class InProcess:
    """`run_turn` in this process on the stack's database and queues: `workers` threads stand in for
    the function's execution environments, and N closed-loop callers queue for them as clients queue
    for the local runtime's environments (one Python process: the GIL holds it to about one core)."""

    def __init__(self, stack: Stack, workers: int) -> None:
        os.environ.update(
            {
                "OCTAG_ENV": "local",
                "OCTAG_DATA_DIR": str(stack.data_dir),
                "OCTAG_LLM_PROVIDER": "offline",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
                "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
                **{k: str(v) for k, v in stack.info.get("environment", {}).items() if v},
                "DATABASE_URL": stack.info["database_url"],
                "AWS_ENDPOINT_URL": stack.info["aws_endpoint_url"],
            }
        )
        from octag.config import get_settings

        get_settings.cache_clear()
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run_turn")

    def one(self, user_id: str, turn: Turn, session_id: str | None) -> str | None:
        from octag.chat.pipeline import run_turn
        from octag.chat.schema import TurnRequest

        def on_chunk(_: str) -> None:
            turn.chunks += 1
            if turn.first_chunk is None:
                turn.first_chunk = time.perf_counter()

        request = TurnRequest(
            message=turn.line.text, session_id=uuid.UUID(session_id) if session_id else None
        )
        try:
            result = run_turn(user_id, request, on_chunk=on_chunk)
        except Exception as exc:  # reported with the run, like an error frame
            turn.done = time.perf_counter()
            turn.error = f"{type(exc).__name__}: {exc}"[:200]
            return session_id
        turn.done = time.perf_counter()
        record_done(turn, result.model_dump(mode="json"))
        return str(result.session_id)

    async def level(
        self, user_ids: list[str], level: int, scripts: list[list[list[Line]]], surface: str = "in-process"
    ) -> Run:
        loop = asyncio.get_running_loop()

        async def send(n: int, turn: Turn, session_id: str | None) -> str | None:
            turn.sent = time.perf_counter()  # queueing for a worker counts, as in the runtime
            return await loop.run_in_executor(
                self.pool, self.one, user_ids[n % len(user_ids)], turn, session_id
            )

        turns, wall = await play(scripts, level, surface, send)
        return Run(surface, level, turns, wall)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        from octag import db

        db.shutdown()


# --- Reporting ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = platform.processor() or "?"
    ram_gb = math.nan
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gb": round(ram_gb, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "websockets": websockets.__version__,
        "httpx": httpx.__version__,
    }


def f(value: float | None, digits: int = 0) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def first_chunk_stats(run: Run) -> dict[str, dict[str, float]]:
    """send→ack, send→first chunk, ack→first chunk (ms) for the turns that streamed."""
    streamed = [t for t in run.ok if t.first_chunk is not None]
    out: dict[str, dict[str, float]] = {}
    series: dict[str, list[float]] = {
        "send_to_ack": [((t.acked or 0) - t.sent) * 1000 for t in streamed if t.acked is not None],
        "send_to_first_chunk": [((t.first_chunk or 0) - t.sent) * 1000 for t in streamed],
        "ack_to_first_chunk": [
            ((t.first_chunk or 0) - (t.acked or 0)) * 1000 for t in streamed if t.acked is not None
        ],
        # The answer stage over its chunks: on WebSocket, one synchronous @connections push each.
        "answer_per_chunk": [t.timings.get("answer", 0.0) / t.chunks for t in streamed if t.chunks],
    }
    for name, values in series.items():
        out[name] = {"p50": pct(values, 50), "p90": pct(values, 90), "p99": pct(values, 99), "n": len(values)}
    return out


def stage_stats(run: Run) -> dict[str, dict[str, float]]:
    ok = run.ok
    return {
        stage: {
            "p50": pct((t.timings.get(stage, 0.0) for t in ok), 50),
            "p90": pct((t.timings.get(stage, 0.0) for t in ok), 90),
            "mean": statistics.fmean(t.timings.get(stage, 0.0) for t in ok) if ok else math.nan,
        }
        for stage in STAGES
    }


def latency_stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": pct(values, 50),
        "p90": pct(values, 90),
        "p99": pct(values, 99),
        "max": max(values, default=math.nan),
        "mean": statistics.fmean(values) if values else math.nan,
    }


def run_record(run: Run) -> dict[str, Any]:
    ok = run.ok
    errors = Counter(t.error for t in run.turns if t.error)
    server = [t.server_ms for t in ok if t.server_ms is not None]
    outside = [t.latency_ms - t.server_ms for t in ok if t.server_ms is not None]
    return {
        "surface": run.surface,
        "level": run.level,
        "turns": len(run.turns),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "wall_s": round(run.wall_s, 3),
        "turns_per_s": len(ok) / run.wall_s if run.wall_s else math.nan,
        "latency_ms": latency_stats([t.latency_ms for t in ok]),
        "server_latency_ms": latency_stats(server),
        "outside_server_ms": latency_stats(outside),
        "stages_ms": stage_stats(run),
        "first_chunk_ms": first_chunk_stats(run),
        "chunks_per_turn": statistics.fmean(t.chunks for t in ok) if ok else math.nan,
        "connect_ms": {"p50": pct(run.connect_ms, 50), "p99": pct(run.connect_ms, 99)}
        if run.connect_ms
        else None,
        "cpu_s": run.cpu_s,
        "cpu_window_s": run.cpu_window_s,
        "cpu_ms_per_turn": {k: v * 1000 / len(ok) for k, v in run.cpu_s.items() if k != "others"}
        if ok
        else {},
    }


def print_tables(records: list[dict[str, Any]], runs: list[Run], workers: int) -> None:
    print(f"\nEnd-to-end turn latency, client-measured (ms); {workers} execution environments per function;")
    print("others: the share of the machine's CPU taken by processes outside this benchmark meanwhile")
    print(
        f"{'level':>6} {'surface':<11}{'turns':>7}{'err':>5}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}"
        f"{'mean':>8}{'turns/s':>9}{'wall s':>8}{'others':>8}"
    )
    cpus = os.cpu_count() or 1
    for r in records:
        lat = r["latency_ms"]
        others = r["cpu_s"].get("others", 0.0) / (r["cpu_window_s"] * cpus) if r["cpu_window_s"] else math.nan
        print(
            f"{r['level']:>6} {r['surface']:<11}{r['turns']:>7}{r['errors']:>5}{f(lat['p50']):>8}"
            f"{f(lat['p90']):>8}{f(lat['p99']):>8}{f(lat['max']):>8}{f(lat['mean']):>8}"
            f"{f(r['turns_per_s'], 1):>9}{f(r['wall_s'], 1):>8}{others:>8.0%}"
        )

    print("\nWebSocket time to first chunk (ms): send→ack is the wait for an execution environment plus")
    print("the @connections push; ack→first chunk is NLU + retrieval + the first chunk's push; connect is")
    print("$connect (authorizer + connection registry); ms/chunk is the answer stage over its chunks")
    print(
        f"{'level':>6} {'surface':<11}{'send→ack p50/p90/p99':>24}{'send→1st chunk p50/p90/p99':>30}"
        f"{'ack→1st chunk p50/p90/p99':>29}{'connect p50/p99':>18}{'ms/chunk p50':>14}"
    )
    for r in records:
        if r["surface"] not in ("websocket", "in-process"):
            continue
        fc = r["first_chunk_ms"]

        def three(name: str, fc: dict[str, Any] = fc) -> str:
            s = fc[name]
            return "-" if not s["n"] else f"{f(s['p50'])}/{f(s['p90'])}/{f(s['p99'])}"

        conn = r["connect_ms"]
        connect_s = f"{f(conn['p50'])}/{f(conn['p99'])}" if conn else "-"
        print(
            f"{r['level']:>6} {r['surface']:<11}{three('send_to_ack'):>24}{three('send_to_first_chunk'):>30}"
            f"{three('ack_to_first_chunk'):>29}{connect_s:>18}{f(fc['answer_per_chunk']['p50'], 2):>14}"
        )

    print("\nServer-side stages (ms, p50 / p90, from each turn's `timings`), the server's own latency_ms,")
    print("and what the client saw beyond it (gateway, Lambda runtime queue and IPC, @connections, client)")
    header = "".join(f"{stage:>14}" for stage in STAGES)
    print(f"{'level':>6} {'surface':<11}{header}{'server p50':>12}{'client p50':>12}{'outside p50/p90':>17}")
    for r in records:
        st = r["stages_ms"]
        cells = "".join(f"{f(st[s]['p50'], 1) + '/' + f(st[s]['p90'], 1):>14}" for s in STAGES)
        out = r["outside_server_ms"]
        print(
            f"{r['level']:>6} {r['surface']:<11}{cells}{f(r['server_latency_ms']['p50'], 1):>12}"
            f"{f(r['latency_ms']['p50'], 1):>12}{f(out['p50'], 1) + '/' + f(out['p90'], 1):>17}"
        )

    first = min(records, key=lambda r: r["level"])["level"]
    print(f"\nBy kind of message at level {first} (client p50 ms / server p50 ms / n)")
    kinds = ("recommendation", "inquiry", "general", "follow-up")
    print(f"{'surface':<11}" + "".join(f"{kind:>22}" for kind in kinds))
    for run in runs:
        if run.level != first:
            continue
        by_kind = []
        for kind in kinds:
            mine = [t for t in run.ok if t.line.kind == kind]
            server = [t.server_ms for t in mine if t.server_ms is not None]
            lat = pct([t.latency_ms for t in mine], 50)
            by_kind.append(f"{f(lat)} / {f(pct(server, 50))} / {len(mine)}")
        print(f"{run.surface:<11}" + "".join(f"{c:>22}" for c in by_kind))
    print(f"server-side stage p50 ms by intent at level {first} ({'/'.join(STAGES)})")
    for run in runs:
        if run.level != first:
            continue
        per_intent = []
        for intent in sorted({t.intent or "?" for t in run.ok}):
            mine = [t for t in run.ok if t.intent == intent]
            stages = "/".join(f(pct((t.timings.get(s, 0.0) for t in mine), 50), 0) for s in STAGES)
            per_intent.append(f"{intent} {stages} (n={len(mine)})")
        print(f"  {run.surface:<11}" + "   ".join(per_intent))

    print(
        "\nCPU per turn by process (ms of CPU time per completed turn), and how busy the machine's "
        f"{os.cpu_count()} CPUs were during the run: with this benchmark's processes, and with others"
    )
    print(CPU_LEGEND)
    labels = [g.replace("λ ", "λ").replace("authorizer", "authz") for g in CPU_GROUPS]
    print(
        f"{'level':>6} {'surface':<11}"
        + "".join(f"{label:>10}" for label in labels)
        + f"{'ours':>7}{'ours busy':>10}{'others busy':>12}"
    )
    for r in records:
        per, window = r["cpu_ms_per_turn"], r["cpu_window_s"] * cpus
        ours = sum(v for k, v in r["cpu_s"].items() if k != "others")
        print(
            f"{r['level']:>6} {r['surface']:<11}"
            + "".join(f"{f(per.get(g), 1):>10}" for g in CPU_GROUPS)
            + f"{f(sum(per.values()), 0):>7}{ours / window:>10.0%}{r['cpu_s'].get('others', 0.0) / window:>12.0%}"
        )


def agreement(runs: list[Run]) -> dict[str, Any]:
    """The same script gives the same intents and answers on every surface (sessions differ)."""
    by_key: dict[tuple[int, int, int], dict[str, Turn]] = {}
    for run in runs:
        for t in run.ok:
            by_key.setdefault((t.level, t.client, t.index), {})[t.surface] = t
    compared = intent_diff = answer_diff = 0
    examples: list[str] = []
    for group in by_key.values():
        if len(group) < 2:
            continue
        compared += 1
        turns = list(group.values())
        if len({t.intent for t in turns}) > 1:
            intent_diff += 1
        if len({t.answer for t in turns}) > 1:
            answer_diff += 1
            if len(examples) < 3:
                examples.append(
                    f"{turns[0].line.text!r}: " + ", ".join(f"{t.surface}={t.intent}" for t in turns)
                )
    return {
        "compared": compared,
        "intent_differs": intent_diff,
        "answer_differs": answer_diff,
        "examples": examples,
    }


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="levels 1,50; 2 turns per client")
    parser.add_argument("--levels", help="concurrent clients per level, e.g. 1,50,200 (default)")
    parser.add_argument("--turns", type=int, help="turns per conversation (default 4; quick 2)")
    parser.add_argument(
        "--min-turns", type=int, help="at least this many turns per level: a small level runs several "
        "conversations per client, one after the other (default 60; quick 24)"
    )  # fmt: skip
    parser.add_argument(
        "--users", type=int, help="signed-in users; clients share them round robin (default 50; quick 20)"
    )
    parser.add_argument("--seed", type=int, default=7, help="fixes the message mix")
    parser.add_argument(
        "--lambda-concurrency", type=int, default=int(os.environ.get("OCTAG_LAMBDA_CONCURRENCY", 4))
    )
    parser.add_argument("--surfaces", default=",".join(SURFACES), help="any of websocket,rest,in-process")
    parser.add_argument("--keep", action="store_true", help="keep the stack's data dir")
    parser.add_argument("--turns-out", type=Path, help="write every measured turn to this JSONL file")
    args = parser.parse_args()
    levels = [int(x) for x in (args.levels or ("1,50" if args.quick else "1,50,200")).split(",")]
    turns = args.turns or (2 if args.quick else 4)
    min_turns = args.min_turns or (24 if args.quick else 60)
    surfaces = [s for s in args.surfaces.split(",") if s]
    assert set(surfaces) <= set(SURFACES), surfaces
    check_theme_names()

    began = time.perf_counter()
    info = machine()
    print(
        f"machine: {info['cpu_model']}, {info['cpus']} CPUs, {info['ram_gb']} GB RAM, {info['platform']}, "
        f"Python {info['python']}, websockets {info['websockets']}, httpx {info['httpx']}; "
        f"load average before starting: {' '.join(map(str, info['load_average_at_start']))}"
        + (
            " (other work is running here: see `others busy` below)"
            if info["load_average_at_start"][0] >= 0.5 * (info["cpus"] or 1)
            else ""
        )
    )
    users = min(args.users or (20 if args.quick else 50), max(levels))
    print(
        f"levels {levels}, {turns} turns per conversation, at least {min_turns} turns per level, "
        f"{users} users (clients share them round robin: at {max(levels)} clients, "
        f"{math.ceil(max(levels) / users)} connections per user), seed {args.seed}"
    )
    print(
        f"local runtime: OCTAG_LAMBDA_CONCURRENCY={args.lambda_concurrency} execution environments per "
        f"function; above {args.lambda_concurrency} concurrent turns, invocations queue in the local "
        "runtime where Lambda would scale out instead. Client, gateway, Lambda workers and PostgreSQL "
        "share this machine's CPUs. Offline LLM provider; stack log level WARNING."
    )
    thread_env = {name: os.environ.get(name) for name in THREAD_ENV}
    print(
        "numeric thread settings inherited by the stack and its functions: "
        + ", ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in thread_env.items())
    )

    data_dir = Path(tempfile.mkdtemp(prefix="octag-bench-chat-"))
    stack: Stack | None = None
    in_process: InProcess | None = None
    runs: list[Run] = []
    phases: dict[str, float] = {}
    try:
        t = time.perf_counter()
        stack = start_stack(
            data_dir,
            {
                "OCTAG_SEED_DEMO": "true",
                "OCTAG_LLM_PROVIDER": "offline",
                "OCTAG_LOG_LEVEL": "WARNING",
                "POWERTOOLS_LOG_LEVEL": "WARNING",
                "OCTAG_LAMBDA_CONCURRENCY": str(args.lambda_concurrency),
            },
        )
        phases["stack_start_s"] = time.perf_counter() - t
        t = time.perf_counter()
        job = wait_for_seed(stack)
        phases["seed_wait_s"] = time.perf_counter() - t
        counts = {k: job.get(k) for k in ("status", "documents_total", "chunks_total") if k in job}
        print(
            f"stack up in {phases['stack_start_s']:.1f} s; demo seed job {job['status']} "
            f"after {phases['seed_wait_s']:.1f} s more {counts}"
        )
        if job["status"] != "succeeded":
            raise SystemExit(f"the demo seed job did not succeed: {job}")

        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as pool:  # argon2id: 2 hashes per user
            accounts = list(pool.map(lambda _: sign_in(stack), range(users)))
        phases["sign_in_s"] = time.perf_counter() - t
        tokens = [str(a["access_token"]) for a in accounts]
        user_ids = [str(a["user"]["id"]) for a in accounts]
        print(f"{users} users registered and signed in in {phases['sign_in_s']:.1f} s (4 at a time)")

        in_process = InProcess(stack, args.lambda_concurrency) if "in-process" in surfaces else None

        # Warm-up: twice the environments at once, so the runtime starts all of them, a few turns each.
        t = time.perf_counter()
        warm_clients = 2 * args.lambda_concurrency
        warm = scripts_for(args.seed + 1000, warm_clients, 1, 3)
        warm_times = []
        for surface in surfaces:
            w = time.perf_counter()
            run = asyncio.run(run_surface(surface, stack, tokens, user_ids, warm_clients, warm, in_process))
            phases[f"warm_up_{surface}_s"] = time.perf_counter() - w
            warm_times.append(f"{surface} {phases[f'warm_up_{surface}_s']:.1f} s")
            bad = [x.error for x in run.turns if x.error]
            if bad:
                print(f"warm-up {surface}: {len(bad)} errors, e.g. {bad[0]}")
        phases["warm_up_s"] = time.perf_counter() - t
        print(
            f"warm-up (cold starts: kiwi and the embedder load in every new environment): {warm_clients} "
            f"clients × 3 turns per surface: {', '.join(warm_times)}"
        )

        for level in levels:
            conversations = max(1, math.ceil(min_turns / (level * turns)))
            scripts = scripts_for(args.seed, level, conversations, turns)
            for surface in surfaces:
                time.sleep(2)  # let the previous phase's $disconnects and event batches drain
                t = time.perf_counter()
                run = asyncio.run(run_surface(surface, stack, tokens, user_ids, level, scripts, in_process))
                runs.append(run)
                print(
                    f"  level {level:>3} {surface:<10}: {len(run.turns)} turns "
                    f"({conversations} conversation(s) × {turns} per client), {len(run.ok)} ok, "
                    f"{time.perf_counter() - t:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        if in_process is not None:
            in_process.close()
        if stack is not None:
            stack.terminate()
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"data dir kept: {data_dir}")

    if args.turns_out:
        with args.turns_out.open("w", encoding="utf-8") as out:
            for run in runs:
                for turn in run.turns:
                    row = {
                        "surface": turn.surface,
                        "level": turn.level,
                        "client": turn.client,
                        "index": turn.index,
                        "kind": turn.line.kind,
                        "message": turn.line.text,
                        "intent": turn.intent,
                        "error": turn.error,
                        "latency_ms": turn.latency_ms,
                        "server_ms": turn.server_ms,
                        "send_to_ack_ms": None if turn.acked is None else (turn.acked - turn.sent) * 1000,
                        "send_to_first_chunk_ms": None
                        if turn.first_chunk is None
                        else (turn.first_chunk - turn.sent) * 1000,
                        "chunks": turn.chunks,
                        "timings": turn.timings,
                    }
                    out.write(json.dumps(_finite(row), ensure_ascii=False) + "\n")
    records = [run_record(run) for run in runs]
    print_tables(records, runs, args.lambda_concurrency)
    mix = Counter(t.line.kind for t in runs[0].turns) if runs else Counter()
    intents = Counter(t.intent for run in runs for t in run.ok)
    agree = agreement(runs)
    print(
        f"\nmix at level {runs[0].level if runs else '-'}: {dict(mix)}; intents over all turns: {dict(intents)}"
    )
    print(
        f"same script, different surfaces: {agree['compared']} turns compared, intent differs in "
        f"{agree['intent_differs']}, answer differs in {agree['answer_differs']}"
        + (f" (e.g. {'; '.join(agree['examples'])})" if agree["examples"] else "")
    )
    for r in records:
        if r["errors"]:
            print(f"errors at level {r['level']} {r['surface']}: {r['error_kinds']}")
    by = {(r["level"], r["surface"]): r for r in records}
    for level in levels:
        ws, rest, local = by.get((level, "websocket")), by.get((level, "rest")), by.get((level, "in-process"))
        parts = []
        if ws and local:
            parts.append(
                f"WebSocket p50 {ws['latency_ms']['p50'] / local['latency_ms']['p50']:.1f}x in-process "
                f"(+{ws['latency_ms']['p50'] - local['latency_ms']['p50']:.0f} ms)"
            )
        if ws and rest:
            parts.append(
                f"WebSocket p50 {ws['latency_ms']['p50'] - rest['latency_ms']['p50']:+.0f} ms vs REST, "
                f"throughput {ws['turns_per_s']:.1f} vs {rest['turns_per_s']:.1f} turns/s"
            )
        if local:
            parts.append(f"in-process {local['turns_per_s']:.1f} turns/s")
        if parts:
            print(f"level {level}: " + "; ".join(parts))
    phases["total_s"] = time.perf_counter() - began
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"total {phases['total_s']:.0f} s")
    print(
        json.dumps(
            _finite(
                {
                    "bench": "chat",
                    "machine": info,
                    "config": {
                        "levels": levels,
                        "turns_per_conversation": turns,
                        "min_turns_per_level": min_turns,
                        "users": users,
                        "seed": args.seed,
                        "lambda_concurrency": args.lambda_concurrency,
                        "surfaces": surfaces,
                        "thread_env": thread_env,
                    },
                    "phases_s": phases,
                    "runs": records,
                    "agreement": {k: v for k, v in agree.items() if k != "examples"},
                }
            ),
            ensure_ascii=False,
        )
    )


def _finite(value: Any) -> Any:
    """JSON-safe: NaN becomes null; floats rounded to 3 decimals."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def run_surface(
    surface: str,
    stack: Stack,
    tokens: list[str],
    user_ids: list[str],
    level: int,
    scripts: list[list[list[Line]]],
    in_process: InProcess | None,
) -> Run:
    before, started = cpu_snapshot(stack), time.perf_counter()
    if surface == "websocket":
        run = await ws_level(stack, tokens, level, scripts)
    elif surface == "rest":
        run = await rest_level(stack, tokens, level, scripts)
    else:
        assert in_process is not None
        run = await in_process.level(user_ids, level, scripts)
    run.cpu_s = cpu_delta(before, cpu_snapshot(stack))
    run.cpu_window_s = time.perf_counter() - started
    return run


if __name__ == "__main__":
    main()
