"""ETL jobs through `octag up`: REST API → SQS → worker → PostgreSQL, presigned uploads, the CLI, the seed."""

from __future__ import annotations

import json
import uuid

import httpx
import psycopg
import pytest

from octag.etl.jobs import JobSource
from tests.integration.conftest import wait_for_job
from tests.integration.etl.test_pipeline import RECORDS, write_jsonl
from tests.integration.stack.running import RunningStack, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def stack(catalog_stack: RunningStack) -> RunningStack:
    return catalog_stack


@pytest.fixture
def admin(catalog_admin: httpx.Client) -> httpx.Client:
    return catalog_admin


@pytest.fixture
def user(catalog_user: httpx.Client) -> httpx.Client:
    return catalog_user


def test_octag_up_seeds_the_catalog_through_the_etl_queue(seed_job):
    assert seed_job["collection"] == "escape_rooms" and seed_job["source"]["format"] == "escape-catalog"
    assert (seed_job["status"], seed_job["documents_loaded"], seed_job["documents_failed"]) == (
        "succeeded", 821, 0,
    )  # fmt: skip


def test_a_job_runs_through_the_queue_and_a_retry_takes_only_its_failures(admin, tmp_path):
    source = write_jsonl(
        tmp_path / "rooms.jsonl", [RECORDS[0], "{broken", {"id": "empty", "text": " "}, RECORDS[1]]
    )
    response = admin.post(
        "/api/etl/jobs",
        json={"collection": "api-docs", "paths": [str(source)], "format": "jsonl", "id_field": "id"},
    )
    assert response.status_code == 202, response.text
    queued = response.json()["job"]
    assert queued["status"] == "queued"

    job = wait_for_job(admin, queued["id"])
    assert (job["status"], job["documents_loaded"], job["documents_failed"]) == ("partially_failed", 2, 2)
    assert {e["location"] for e in job["errors"]} == {"line 2", "line 3"}
    assert job["progress"] == 1.0 and job["started_at"] and job["finished_at"]
    assert any(j["id"] == job["id"] for j in admin.get("/api/etl/jobs").json()["jobs"])

    write_jsonl(
        source,
        [RECORDS[0], {"id": "fixed", "text": "고친 줄"}, {"id": "empty", "text": "이제 있다"}, RECORDS[1]],
    )
    retry = admin.post(f"/api/etl/jobs/{job['id']}/retry")
    assert retry.status_code == 202, retry.text
    redone = wait_for_job(admin, retry.json()["job"]["id"])
    # The broken line named no document, so its whole file is read again; unchanged documents are skipped.
    assert redone["retry_of"] == job["id"] and redone["status"] == "succeeded"
    assert (redone["documents_loaded"], redone["documents_skipped"]) == (2, 2)


def test_a_presigned_upload_becomes_a_job_source(admin):
    response = admin.post(
        "/api/etl/uploads", json={"filename": "faq 안내.md", "content_type": "text/markdown"}
    )
    assert response.status_code == 201, response.text
    upload = response.json()
    assert upload["s3_uri"].endswith("/faq_안내.md") and upload["method"] == "PUT"
    body = "# 예약 안내\n\n예약은 방문 하루 전까지 가능합니다.\n\n## 환불\n\n환불은 이용 3일 전까지 됩니다.\n"
    put = httpx.put(upload["upload_url"], content=body.encode(), headers=upload["headers"], timeout=30)
    assert put.status_code == 200, put.text

    job = admin.post("/api/etl/jobs", json={"collection": "faq", "paths": [upload["s3_uri"]]}).json()["job"]
    done = wait_for_job(admin, job["id"])
    assert (done["status"], done["documents_loaded"]) == ("succeeded", 1)


def test_jobs_are_for_admins_only(stack, user):
    assert user.get("/api/etl/jobs").status_code == 403
    assert user.post("/api/etl/jobs", json={"collection": "x", "paths": ["/etc/hostname"]}).status_code == 403
    assert user.post("/api/etl/uploads", json={"filename": "a.txt"}).status_code == 403
    assert httpx.get(f"{stack.http_url}/api/etl/jobs").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/api/etl/jobs", {"collection": "x", "paths": ["a.txt"], "format": "docx"}, 422),
        ("post", "/api/etl/jobs", {"collection": "x", "paths": []}, 422),
        ("post", "/api/etl/jobs", {"collection": "x", "paths": ["a"], "only": ["a"]}, 422),
        ("post", "/api/etl/jobs", {"paths": ["a.txt"]}, 422),
        ("post", "/api/etl/jobs", {"collection": "Not A Name!", "paths": ["a.txt"]}, 422),
        ("get", "/api/etl/jobs/not-a-uuid", None, 404),
        ("get", f"/api/etl/jobs/{uuid.uuid4()}", None, 404),
        ("post", f"/api/etl/jobs/{uuid.uuid4()}/retry", None, 404),
        ("post", "/api/etl/uploads", {"filename": ""}, 422),
    ],
)
def test_bad_requests_get_clear_json_errors(admin, method, path, body, status):
    response = admin.request(method.upper(), path, json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] and error["message"] and "Traceback" not in response.text


def test_cli_ingest_shows_progress_and_a_summary_and_its_exit_code_says_how_it_went(stack, tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", RECORDS)
    result = run_cli(stack, "etl", "ingest", str(good), "--collection", "cli-docs", "--id-field", "id")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "succeeded: 3 documents seen, 3 loaded" in result.stdout and "ingesting" in result.stderr

    bad = write_jsonl(tmp_path / "bad.jsonl", [RECORDS[0], "{"])
    result = run_cli(stack, "etl", "ingest", str(bad), "--collection", "cli-docs", "--id-field", "id")
    assert result.returncode == 2 and "partially_failed" in result.stdout and "line 2" in result.stdout
    job_id = result.stdout.split()[1]

    status = run_cli(stack, "etl", "status", job_id, "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["errors"][0]["location"] == "line 2"
    listed = run_cli(stack, "etl", "jobs")
    assert job_id in listed.stdout

    missing = run_cli(stack, "etl", "ingest", str(tmp_path / "nope.jsonl"), "--collection", "cli-docs")
    assert missing.returncode == 1 and "no such file" in missing.stdout


def test_cli_resumes_an_abandoned_job_and_retries_failures(stack, tmp_path):
    source = write_jsonl(tmp_path / "rooms.jsonl", RECORDS)
    job_id = uuid.uuid4()
    with psycopg.connect(stack.info["database_url"]) as conn:  # a job whose worker died 10 minutes ago
        conn.execute(
            "INSERT INTO etl_jobs (id, collection, source, status, attempts, heartbeat_at)"
            " VALUES (%s, 'cli-resume', %s, 'running', 1, now() - interval '10 minutes')",
            (job_id, JobSource(paths=[str(source)], id_field="id").model_dump_json()),
        )
    resumed = run_cli(stack, "etl", "resume", str(job_id))
    assert resumed.returncode == 0 and "succeeded: 3 documents seen, 3 loaded" in resumed.stdout
    again = run_cli(stack, "etl", "resume", str(job_id))
    assert again.returncode == 1 and "is succeeded" in again.stderr

    write_jsonl(source, [*RECORDS, {"id": "later", "text": ""}])
    partial = run_cli(stack, "etl", "ingest", str(source), "--collection", "cli-resume", "--id-field", "id")
    assert partial.returncode == 2
    write_jsonl(source, [*RECORDS, {"id": "later", "text": "이제 채워졌다"}])
    retried = run_cli(stack, "etl", "retry", partial.stdout.split()[1])
    assert retried.returncode == 0 and "succeeded: 1 documents seen, 1 loaded" in retried.stdout
