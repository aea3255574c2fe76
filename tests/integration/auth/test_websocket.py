"""WebSocket `$connect` needs `?token=<access JWT>`: refused with 401 otherwise."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.integration.auth.support import Account, login
from tests.integration.stack.running import RunningStack, websocket_url


def _handshake_status(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=30):
        pass
    return refused.value.response.status_code


def test_connect_without_a_token_is_refused(stack: RunningStack) -> None:
    assert _handshake_status(stack.info["ws_url"]) == 401
    assert _handshake_status(stack.info["ws_url"] + "/?token=") == 401


def test_connect_with_a_bad_token_is_refused(
    stack: RunningStack, api: httpx.Client, account: Account
) -> None:
    session = login(api, account)
    for token in ("not-a-jwt", session["refresh_token"], session["access_token"][:-4] + "AAAA"):
        assert _handshake_status(websocket_url(stack, token)) == 401


def test_connect_with_an_access_token_then_ping(
    stack: RunningStack, api: httpx.Client, account: Account
) -> None:
    token = login(api, account)["access_token"]
    with connect(websocket_url(stack, token), open_timeout=30) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=30)) == {"type": "pong"}
