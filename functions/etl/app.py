"""ETL jobs API (admins only): queue, list, inspect and retry jobs; presign uploads."""

from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from octag import db
from octag.auth.service import User
from octag.etl import jobs, service
from octag.web import create_app, lambda_handler
from octag.web.auth import require_role

app = create_app("etl")
Admin = Annotated[User, Depends(require_role("admin"))]


class JobRequest(jobs.JobSource):
    model_config = ConfigDict(extra="forbid")

    collection: str = Field(min_length=1, max_length=63)
    only: None = None  # set by retries, never by a client


class UploadRequest(BaseModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str | None = Field(None, max_length=100)


@app.post("/api/etl/jobs", status_code=202)
def start_job(body: JobRequest, admin: Admin) -> dict[str, Any]:
    source = jobs.JobSource(**body.model_dump(exclude={"collection", "only"}))
    return {"job": service.submit_job(body.collection, source, created_by=admin.id).public()}


@app.get("/api/etl/jobs")
def list_jobs(
    admin: Admin, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0)
) -> dict[str, Any]:
    with db.connection() as conn:
        return {"jobs": [job.public() for job in jobs.list_jobs(conn, limit=limit, offset=offset)]}


@app.get("/api/etl/jobs/{job_id}")
def get_job(job_id: str, admin: Admin) -> dict[str, Any]:
    with db.connection() as conn:
        return {"job": jobs.get_job(conn, job_id, error_limit=1000).public()}


@app.post("/api/etl/jobs/{job_id}/retry", status_code=202)
def retry_job(job_id: str, admin: Admin) -> dict[str, Any]:
    return {"job": service.retry_job(job_id, created_by=admin.id).public()}


@app.post("/api/etl/uploads", status_code=201)
def create_upload(body: UploadRequest, admin: Admin) -> dict[str, Any]:
    return service.create_upload(body.filename, body.content_type)


handler = lambda_handler(app)
