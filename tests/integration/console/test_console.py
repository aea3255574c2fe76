"""The web test console at `/console`: served by `octag up`, driven in headless Chromium.

The browser is Debian's Chromium (`scripts/bootstrap.sh` installs it with the `dev` extra) driven
by Playwright's Python API; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.stack.running import RunningStack

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet on a machine with no network: no background fetches, updates or sync.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Hang guards: the chat function's cold start (kiwi, the embedder) makes the first `$connect` slow.
CONNECT_TIMEOUT_MS = 120_000
TURN_TIMEOUT_MS = 120_000
QUESTION = "강남에서 무서운 테마 추천해줘"


def test_console_files_are_served_with_their_content_types(catalog_stack: RunningStack) -> None:
    with httpx.Client(base_url=catalog_stack.http_url, timeout=30) as http:
        for path in ("/console", "/console/"):
            page = http.get(path)
            assert page.status_code == 200
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            assert "/console/console.js" in page.text and 'lang="ko"' in page.text
        script = http.get("/console/console.js")
        assert script.status_code == 200
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        style = http.get("/console/console.css")
        assert style.status_code == 200
        assert style.headers["content-type"] == "text/css; charset=utf-8"

        for missing in ("/console/nope", "/console/nope.js", "/console/..%2Fgateway%2Frest.py"):
            response = http.get(missing)
            assert response.status_code == 404, missing
            assert response.json()["error"]["code"] == "not_found"
        # Everything else still goes through the route manifest.
        assert http.post("/console").status_code == 404
        assert http.get("/api/health").status_code == 200


def test_config_points_the_page_at_the_websocket_port_on_the_host_it_used(
    catalog_stack: RunningStack,
) -> None:
    ws = urlsplit(catalog_stack.info["ws_url"])
    with httpx.Client(base_url=catalog_stack.http_url, timeout=30) as http:
        config = http.get("/console/config.json")
        assert config.status_code == 200
        assert config.json() == {"websocketUrl": f"ws://127.0.0.1:{ws.port}"}
        by_name = http.get("/console/config.json", headers={"Host": "localhost"})
        assert by_name.json() == {"websocketUrl": f"ws://localhost:{ws.port}"}


# --- in the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile (a Playwright BrowserContext)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/bootstrap.sh as root (it installs Debian's chromium "
            "with the dev extra), or `apt-get install chromium`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: install the dev extra (scripts/bootstrap.sh or make test)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    page.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _open_console(page: Any, stack: RunningStack) -> None:
    page.goto(f"{stack.http_url}/console")
    page.wait_for_selector("body[data-ready='true']")


def _fill_credentials(page: Any, email: str, password: str) -> None:
    page.get_by_test_id("auth-email").fill(email)
    page.get_by_test_id("auth-password").fill(password)


def test_login_streamed_answer_debug_panel_and_feedback(
    catalog_stack: RunningStack, seed_job: dict[str, Any], page: Any
) -> None:
    from playwright.sync_api import expect

    assert seed_job["status"] == "succeeded", seed_job  # the demo catalog is searchable
    _open_console(page, catalog_stack)
    app, status = page.get_by_test_id("app"), page.get_by_test_id("ws-status")

    # Sign up (which signs in), sign out, then sign in through the form.
    email, password = f"console-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    _fill_credentials(page, email, password)
    page.get_by_test_id("register-button").click()
    expect(app).to_be_visible()
    expect(page.get_by_test_id("user-email")).to_have_text(email)
    page.get_by_test_id("logout-button").click()
    expect(page.get_by_test_id("auth-form")).to_be_visible()
    _fill_credentials(page, email, password)
    page.get_by_test_id("login-button").click()
    expect(app).to_be_visible()
    expect(status).to_have_attribute("data-state", "open", timeout=CONNECT_TIMEOUT_MS)

    # One turn over the WebSocket: chunks stream into the reply, then `done` renders the rest.
    page.get_by_test_id("message-input").fill(QUESTION)
    page.get_by_test_id("send-button").click()
    reply = page.locator("[data-testid=message][data-role=assistant]").last
    expect(reply).to_have_attribute("data-state", "done", timeout=TURN_TIMEOUT_MS)
    chunks = int(reply.get_attribute("data-chunks") or 0)
    assert chunks >= 1, "no chunk frame arrived before the done frame"
    assert reply.get_by_test_id("message-text").inner_text().strip()
    cards = reply.get_by_test_id("rec-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 1

    # The debug panel shows the last turn.
    expect(page.get_by_test_id("debug-intent")).to_have_text("room_recommendation")
    expect(page.get_by_test_id("debug-stream")).to_have_attribute("data-chunks", str(chunks))
    expect(page.get_by_test_id("debug-latency")).to_contain_text("ms")
    expect(page.get_by_test_id("debug-tokens")).to_contain_text("입력")
    expect(page.get_by_test_id("debug-cost")).to_contain_text("$")
    assert page.get_by_test_id("debug-recommendations").locator("li").count() == cards.count()
    raw = json.loads(page.get_by_test_id("debug-raw").text_content() or "")
    assert raw["type"] == "done" and raw["intent"] == "room_recommendation"
    assert '"region"' in page.get_by_test_id("debug-entities").inner_text()

    # Feedback on the first recommendation is acknowledged.
    card = cards.first
    liked = card.get_by_test_id("feedback-liked")
    liked.click()
    expect(liked).to_have_attribute("data-state", "acked")
    expect(card.get_by_test_id("feedback-status")).to_have_text("✓ 기록됨")
    assert card.get_by_test_id("feedback-status").get_attribute("data-event-id")

    # The conversation is listed; opening it again shows its history from the API.
    session = page.get_by_test_id("session-item")
    expect(session).to_have_count(1)
    page.get_by_test_id("new-chat-button").click()
    expect(page.get_by_test_id("message")).to_have_count(0)
    session.click()
    history = page.get_by_test_id("message")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_have_attribute("data-role", "user")
    expect(history.nth(0)).to_have_text(QUESTION)
    expect(history.nth(1).get_by_test_id("rec-card")).to_have_count(cards.count())
    expect(page.get_by_test_id("debug-intent")).to_have_text("room_recommendation")

    # ...and continues it: the follow-up goes to the same session.
    page.get_by_test_id("message-input").fill("4명이면 어때?")
    page.get_by_test_id("message-input").press("Enter")
    expect(history.last).to_have_attribute("data-state", "done", timeout=TURN_TIMEOUT_MS)
    expect(history).to_have_count(4)
    expect(session).to_have_count(1)
    expect(session).to_contain_text("메시지 4개")


def test_an_unusable_token_sends_the_page_back_to_the_login_form(
    catalog_stack: RunningStack, page: Any
) -> None:
    from playwright.sync_api import expect

    _open_console(page, catalog_stack)
    stale = {"access": "not-a-jwt", "refresh": "not-a-refresh-token", "user": {"email": "x@example.com"}}
    page.evaluate("tokens => sessionStorage.setItem('octag.console', JSON.stringify(tokens))", stale)
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    expect(page.get_by_test_id("auth-form")).to_be_visible()
    expect(page.get_by_test_id("auth-message")).to_contain_text("다시 로그인")
    assert page.evaluate("sessionStorage.getItem('octag.console')") is None
