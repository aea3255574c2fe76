"""One `octag up` stack for the whole auth suite; each test calls it from its own loopback address.

Failed logins are throttled per source IP, so a test that fails logins on purpose must not spend
the budget of the others: every `api` client binds a fresh 127.0.0.x address.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.auth.support import Account, ApiFactory, new_password, unique_email
from tests.integration.stack.running import RunningStack, run_cli, start_stack

_addresses = itertools.count(10)  # 127.0.0.10, 127.0.0.11, ...


@pytest.fixture(scope="session")
def stack(_local_state_root: Path) -> Iterator[RunningStack]:
    running = start_stack(Path(tempfile.mkdtemp(prefix="octag-auth", dir=_local_state_root)))
    yield running
    if running.process.poll() is None:
        running.terminate()


def loopback_address() -> str:
    n = next(_addresses)
    return f"127.0.{n // 250}.{n % 250 + 2}"


@pytest.fixture
def api_factory(stack: RunningStack) -> Iterator[ApiFactory]:
    """Makes HTTP clients to the stack, each from a loopback address no other client used."""
    clients: list[httpx.Client] = []

    def make() -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=loopback_address())
        clients.append(httpx.Client(base_url=stack.http_url, transport=transport, timeout=60))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def api(api_factory: ApiFactory) -> httpx.Client:
    return api_factory()


@pytest.fixture
def account(api: httpx.Client) -> Account:
    """A freshly registered user (not logged in)."""
    email, password = unique_email(), new_password()
    response = api.post("/api/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return Account(email, password, response.json()["user"]["id"])


@pytest.fixture(scope="session")
def admin(stack: RunningStack) -> Account:
    """An admin created with `octag user create --role admin`, as an operator would."""
    email, password = unique_email("admin"), new_password()
    result = run_cli(stack, "user", "create", "--email", email, "--password", password, "--role", "admin")
    assert result.returncode == 0, result.stdout + result.stderr
    with httpx.Client(base_url=stack.http_url, timeout=60) as client:
        response = client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return Account(email, password, response.json()["user"]["id"])
