"""One `octag up` stack with the demo catalog, shared by the suites that need data in it (ETL, search)."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.stack.running import RunningStack, run_cli, start_stack


@pytest.fixture(scope="session")
def catalog_stack(_local_state_root: Path) -> Iterator[RunningStack]:
    """`octag up` with its demo seed on: the catalog is queued to the ETL worker at start."""
    running = start_stack(
        Path(tempfile.mkdtemp(prefix="octag-catalog", dir=_local_state_root)), OCTAG_SEED_DEMO="true"
    )
    yield running
    if running.process.poll() is None:
        running.terminate()


def _login(stack: RunningStack, email: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{stack.http_url}/api/auth/login", json={"email": email, "password": password}, timeout=60
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def catalog_admin(catalog_stack: RunningStack) -> Iterator[httpx.Client]:
    """An HTTP client signed in as an admin made with `octag user create --role admin`."""
    email, password = f"admin-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    result = run_cli(
        catalog_stack, "user", "create", "--email", email, "--password", password, "--role", "admin"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    headers = _login(catalog_stack, email, password)
    with httpx.Client(base_url=catalog_stack.http_url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def catalog_user(catalog_stack: RunningStack) -> Iterator[httpx.Client]:
    """An HTTP client signed in as a user who registered through the API."""
    email, password = f"user-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    credentials = {"email": email, "password": password}
    httpx.post(f"{catalog_stack.http_url}/api/auth/register", json=credentials).raise_for_status()
    headers = _login(catalog_stack, email, password)
    with httpx.Client(base_url=catalog_stack.http_url, headers=headers, timeout=60) as client:
        yield client


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = 240) -> dict[str, Any]:
    """The job once it has finished (polled through the API)."""
    deadline = time.monotonic() + timeout  # hang guard only
    while True:
        response = api.get(f"/api/etl/jobs/{job_id}")
        assert response.status_code == 200, response.text
        job = response.json()["job"]
        if job["status"] in ("succeeded", "partially_failed", "failed"):
            return dict(job)
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.3)


@pytest.fixture(scope="session")
def seed_job(catalog_admin: httpx.Client) -> dict[str, Any]:
    """The demo seed's job, finished."""
    jobs = catalog_admin.get("/api/etl/jobs", params={"limit": 200}).json()["jobs"]
    seed = next(job for job in jobs if job["created_by"] == "octag up")
    return wait_for_job(catalog_admin, seed["id"])
