"""Chat over a running `octag up` with the demo catalog: WebSocket streaming, REST parity, sessions,
feedback, bad frames, disconnects and fifty concurrent clients."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.integration.stack.running import RunningStack, run_cli, sign_in, websocket_url

pytestmark = pytest.mark.slow
TURN_FIELDS = {"message", "intent", "entities", "answer", "recommendations", "sources", "usage"}


@pytest.fixture(scope="module")
def stack(catalog_stack: RunningStack, seed_job: dict[str, Any]) -> RunningStack:
    assert seed_job["status"] == "succeeded"
    return catalog_stack


@pytest.fixture(scope="module")
def account(stack: RunningStack) -> dict[str, Any]:
    return sign_in(stack)


@pytest.fixture(scope="module")
def api(stack: RunningStack, account: dict[str, Any]) -> httpx.Client:
    headers = {"Authorization": f"Bearer {account['access_token']}"}
    return httpx.Client(base_url=stack.http_url, headers=headers, timeout=120)


def open_socket(stack: RunningStack, token: str) -> ClientConnection:
    return connect(websocket_url(stack, token), open_timeout=60, max_size=2**20)


def chat_over(ws: ClientConnection, message: str, session_id: str | None = None) -> tuple[list[dict], dict]:
    """Send one message; the frames received before `done` (or `error`), and that last frame."""
    frame: dict[str, Any] = {"action": "sendMessage", "message": message}
    if session_id:
        frame["sessionId"] = session_id
    ws.send(json.dumps(frame, ensure_ascii=False))
    frames = []
    while True:
        received = json.loads(ws.recv(timeout=120))
        if received.get("type") in ("done", "error", None):  # None: the gateway's own error message
            return frames, received
        frames.append(received)


def test_a_websocket_turn_streams_ack_chunks_done_like_rest(stack, api, account):
    with open_socket(stack, account["access_token"]) as ws:
        frames, done = chat_over(ws, "강남에서 무서운 테마 추천해줘")
    assert frames[0]["type"] == "ack" and done["type"] == "done"
    chunks = [f["text"] for f in frames[1:]]
    assert len(chunks) > 3 and all(f["type"] == "chunk" for f in frames[1:])
    assert "".join(chunks) == done["answer"] and done["session_id"] == frames[0]["session_id"]
    assert set(done) >= TURN_FIELDS and done["intent"] == "room_recommendation"
    assert done["entities"]["region"] == "강남" and done["entities"]["genres"] == ["공포"]
    recs = done["recommendations"]
    assert len(recs) == 5 and all(r["area"] == "강남" and "공포" in r["genres"] for r in recs)
    assert {"theme", "cafe", "branch", "area", "genres", "min_players", "max_players", "difficulty",
            "price_per_person", "duration_minutes"} <= set(recs[0])  # fmt: skip

    rest = api.post("/api/chat", json={"message": "강남에서 무서운 테마 추천해줘"})
    assert rest.status_code == 200, rest.text
    body = rest.json()
    for field in TURN_FIELDS - {"usage"}:
        assert body[field] == done[field], field
    assert body["session_id"] != done["session_id"]


def test_a_conversation_keeps_its_context_over_websocket(stack, account):
    with open_socket(stack, account["access_token"]) as ws:
        _, first = chat_over(ws, "강남에서 공포 테마 추천해줘")
        _, second = chat_over(ws, "4명이면?", first["session_id"])
        _, third = chat_over(ws, "그 중에 제일 쉬운 거", first["session_id"])
    assert second["entities"]["party_size"] == 4
    assert (second["entities"]["region"], second["entities"]["genres"]) == ("강남", ["공포"])
    assert len(third["recommendations"]) == 1
    assert third["recommendations"][0]["theme_key"] in {r["theme_key"] for r in second["recommendations"]}


def test_sessions_are_listed_paged_private_and_deletable(stack, api):
    session_id = api.post("/api/chat", json={"message": "홍대 코미디 테마 추천"}).json()["session_id"]
    for message in ("3명이면?", "그 중에 제일 싼 거"):
        assert api.post("/api/chat", json={"message": message, "session_id": session_id}).status_code == 200
    listed = api.get("/api/chat/sessions", params={"limit": 100}).json()["sessions"]
    mine = next(s for s in listed if s["id"] == session_id)
    assert mine["message_count"] == 6 and mine["title"] == "홍대 코미디 테마 추천"

    first = api.get(f"/api/chat/sessions/{session_id}/messages", params={"limit": 4}).json()
    assert set(first["messages"][-1]["timings"]) >= {"nlu", "retrieval", "answer"}
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"] * 2
    older = api.get(
        f"/api/chat/sessions/{session_id}/messages", params={"limit": 4, "before": first["next_cursor"]}
    ).json()
    assert older["messages"][0]["text"] == "홍대 코미디 테마 추천" and older["next_cursor"] is None
    assert older["messages"][1]["intent"] == "room_recommendation" and older["messages"][1]["recommendations"]

    stranger = sign_in(stack)
    headers = {"Authorization": f"Bearer {stranger['access_token']}"}
    with httpx.Client(base_url=stack.http_url, headers=headers, timeout=60) as other:
        assert other.get(f"/api/chat/sessions/{session_id}/messages").status_code == 404
        assert other.delete(f"/api/chat/sessions/{session_id}").status_code == 404
        hijack = other.post("/api/chat", json={"message": "4명이면?", "session_id": session_id})
        assert hijack.status_code == 404 and hijack.json()["error"]["code"] == "session_not_found"
        assert all(s["id"] != session_id for s in other.get("/api/chat/sessions").json()["sessions"])

    assert api.delete(f"/api/chat/sessions/{session_id}").status_code == 204
    assert api.get(f"/api/chat/sessions/{session_id}/messages").status_code == 404


def test_bad_rest_input_gets_clear_errors(stack, api):
    for body, status in [
        ({"message": ""}, 422),
        ({"message": "x" * 2001}, 422),
        ({"message": "안녕", "session_id": "not-a-uuid"}, 422),
        ({"message": "안녕", "session_id": str(uuid.uuid4())}, 404),
        ({"text": "안녕"}, 422),
    ]:
        response = api.post("/api/chat", json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["message"]
    assert api.get("/api/chat/sessions", params={"cursor": "garbage"}).status_code == 422
    assert httpx.post(f"{stack.http_url}/api/chat", json={"message": "안녕"}).status_code == 401


def test_bad_frames_get_error_frames_and_the_connection_stays_usable(stack, account):
    with open_socket(stack, account["access_token"]) as ws:
        ws.send("this is not json")
        assert json.loads(ws.recv(timeout=60))["code"] == "invalid_frame"
        ws.send(json.dumps({"action": "dance"}))
        assert json.loads(ws.recv(timeout=60))["code"] == "unknown_action"
        for frame in (
            {"action": "sendMessage"},
            {"action": "sendMessage", "message": ""},
            {"action": "sendMessage", "message": "가" * 2001},
            {"action": "sendMessage", "message": "안녕", "sessionId": "nope"},
        ):
            ws.send(json.dumps(frame))
            error = json.loads(ws.recv(timeout=60))
            assert (error["type"], error["code"], error["action"]) == (
                "error",
                "validation_error",
                "sendMessage",
            )
        _, unknown = chat_over(ws, "안녕", str(uuid.uuid4()))
        assert unknown["code"] == "session_not_found"
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=60)) == {"type": "pong"}
        _, done = chat_over(ws, "안녕하세요")
        assert done["intent"] == "general_chat"
    with open_socket(stack, account["access_token"]) as ws:
        ws.send(json.dumps({"action": "sendMessage", "message": "가" * 40_000}))  # over the 32 KB frame limit
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=60)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_feedback_by_websocket_and_rest_becomes_events(stack, api, account):
    with open_socket(stack, account["access_token"]) as ws:
        _, done = chat_over(ws, "대학로 감성 테마 추천해줘")
        theme_key = done["recommendations"][0]["theme_key"]
        ws.send(json.dumps({"action": "feedback", "sessionId": done["session_id"], "messageId": done["message_id"],
                            "themeKey": theme_key, "feedback": "liked"}))  # fmt: skip
        ack = json.loads(ws.recv(timeout=60))
    assert (ack["type"], ack["theme_key"], ack["feedback"]) == ("feedback_ack", theme_key, "liked")
    body = {"session_id": done["session_id"], "message_id": done["message_id"], "theme_key": theme_key}
    booked = api.post("/api/chat/feedback", json=body | {"feedback": "booked"})
    assert booked.status_code == 202, booked.text
    assert api.post("/api/chat/feedback", json=body | {"feedback": "meh"}).status_code == 422
    missing = api.post("/api/chat/feedback", json=body | {"message_id": 10**9, "feedback": "liked"})
    assert missing.status_code == 404

    wanted = {ack["event_id"], booked.json()["event_id"]}
    with psycopg.connect(stack.info["database_url"]) as conn:
        deadline = time.monotonic() + 120  # the batch queue's window, then the consumer
        while True:
            rows = conn.execute(
                "SELECT event_id::text, event_type, payload FROM events WHERE payload->>'session_id' = %s",
                (done["session_id"],),
            ).fetchall()
            conn.commit()
            types = {(t, p.get("feedback")) for _, t, p in rows}
            if wanted <= {r[0] for r in rows} and ("chat_message", None) in types:
                break
            assert time.monotonic() < deadline, rows
            time.sleep(1)
    assert {("recommendation_feedback", "liked"), ("recommendation_feedback", "booked"),
            ("recommendation_shown", None), ("chat_message", None)} <= types  # fmt: skip


def test_a_client_leaving_mid_answer_loses_nothing(stack, api, account):
    with open_socket(stack, account["access_token"]) as ws:
        ws.send(json.dumps({"action": "sendMessage", "message": "잠실 추리 테마 추천해줘"}))
        session_id = json.loads(ws.recv(timeout=60))["session_id"]  # the ack
        assert json.loads(ws.recv(timeout=60))["type"] == "chunk"  # the answer has begun: leave
    deadline = time.monotonic() + 60
    while True:
        response = api.get(f"/api/chat/sessions/{session_id}/messages")
        if response.status_code == 200 and len(response.json()["messages"]) == 2:
            break
        assert time.monotonic() < deadline, response.text
        time.sleep(0.5)
    answer = response.json()["messages"][1]
    assert answer["role"] == "assistant" and answer["recommendations"]


def test_connections_are_registered_and_removed(stack, account):
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=stack.info["aws_endpoint_url"], region_name="ap-northeast-2",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    table = stack.info["environment"].get("CONNECTIONS_TABLE", "octag-connections")

    def live() -> list[dict]:
        return [
            i for i in dynamodb.scan(TableName=table)["Items"] if i["userId"]["S"] == account["user"]["id"]
        ]

    before = len(live())
    with open_socket(stack, account["access_token"]) as ws:
        ws.send(json.dumps({"action": "ping"}))
        ws.recv(timeout=60)
        mine = live()
        assert len(mine) == before + 1 and int(mine[0]["ttl"]["N"]) > time.time()
    deadline = time.monotonic() + 30
    while len(live()) != before:
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_fifty_concurrent_clients_each_get_their_own_answer(stack):
    regions = ["강남", "홍대", "건대", "신촌", "대학로", "잠실", "신림", "성수"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        accounts = list(pool.map(lambda _: sign_in(stack), range(50)))

    def one_client(n: int) -> tuple[int, str, dict]:
        account = accounts[n]
        message = f"{regions[n % len(regions)]}에서 {2 + n % 5}명이 할 테마 추천해줘"
        with open_socket(stack, account["access_token"]) as ws:
            frames, done = chat_over(ws, message)
        assert done["type"] == "done", done
        assert "".join(f["text"] for f in frames if f["type"] == "chunk") == done["answer"]
        return n, message, done

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one_client, range(50)))
    assert len(results) == 50
    for n, message, done in results:
        assert done["message"] == message
        assert (done["entities"]["region"], done["entities"]["party_size"]) == (regions[n % 8], 2 + n % 5)
    assert len({done["session_id"] for _, _, done in results}) == 50


def test_the_cli_answers_like_the_api(stack, api, tmp_path):
    result = run_cli(stack, "chat", "강남에서 무서운 테마 추천해줘", "--json")
    assert result.returncode == 0, result.stderr
    turn = json.loads(result.stdout)
    assert list(turn)[:7] == [
        "message",
        "intent",
        "entities",
        "answer",
        "recommendations",
        "sources",
        "usage",
    ]
    rest = api.post("/api/chat", json={"message": "강남에서 무서운 테마 추천해줘"}).json()
    assert (turn["answer"], turn["recommendations"]) == (rest["answer"], rest["recommendations"])

    follow_up = run_cli(stack, "chat", "4명이면?", "--session", turn["session_id"], "--json")
    assert json.loads(follow_up.stdout)["entities"]["party_size"] == 4
    assert json.loads(follow_up.stdout)["entities"]["region"] == "강남"

    batch = tmp_path / "messages.jsonl"
    batch.write_text('홍대 코미디 테마 추천\n\n{"message": "4명이면?"}\n', encoding="utf-8")
    lines = [
        json.loads(line)
        for line in run_cli(stack, "chat", "--batch", str(batch), "--json").stdout.splitlines()
    ]
    assert [line["message"] for line in lines] == ["홍대 코미디 테마 추천", "4명이면?"]
    assert lines[1]["entities"]["region"] is None  # independent conversations: no context carried

    text = run_cli(stack, "chat", "안녕하세요")
    assert text.returncode == 0 and text.stdout.startswith("안녕하세요!") and "general_chat" in text.stdout
    assert run_cli(stack, "chat", "안녕", "--batch", str(batch)).returncode == 2
    unknown = run_cli(stack, "chat", "안녕", "--user", "nobody@example.com")
    assert unknown.returncode == 1 and "octag user create" in unknown.stderr
