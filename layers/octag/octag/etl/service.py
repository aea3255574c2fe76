"""ETL use cases behind the REST API: queue a job, retry its failures, presign an upload."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from octag import db
from octag.aws import client
from octag.config import get_settings
from octag.errors import OctagError
from octag.etl import jobs

UPLOAD_URL_SECONDS = 900


class Unavailable(OctagError):
    status, code = 503, "unavailable"


def submit_job(
    collection: str, source: jobs.JobSource, *, created_by: str | None, queue_url: str | None = None
) -> jobs.Job:
    """Record the job, then queue it for the ETL worker; a job that cannot be queued is marked failed.

    `queue_url` defaults to the configured `ETL_JOBS_QUEUE_URL`.
    """
    with db.connection() as conn:
        job = jobs.create_job(conn, collection, source, created_by=created_by)
    return _enqueue(job, queue_url)


def retry_job(job_id: str, *, created_by: str | None) -> jobs.Job:
    with db.connection() as conn:
        job = jobs.create_retry(conn, job_id, created_by=created_by)
    return _enqueue(job)


def _enqueue(job: jobs.Job, queue_url: str | None = None) -> jobs.Job:
    queue_url = queue_url or get_settings().etl_jobs_queue_url
    try:
        if not queue_url:
            raise Unavailable("No ETL queue is configured (ETL_JOBS_QUEUE_URL).")
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps({"job_id": str(job.id)}))
    except (BotoCoreError, ClientError, Unavailable) as exc:
        with db.connection() as conn:
            jobs.finish_job(conn, job.id, "failed", f"could not queue the job: {exc}")
        raise Unavailable("The job could not be queued; it is recorded as failed. Try again.") from None
    return job


def create_upload(filename: str, content_type: str | None = None) -> dict[str, Any]:
    """A presigned S3 PUT URL; pass the returned `s3_uri` as a job path once the upload is done."""
    bucket = get_settings().documents_bucket
    if not bucket:
        raise Unavailable("No documents bucket is configured (DOCUMENTS_BUCKET).")
    safe_name = re.sub(r"[^\w.\-]+", "_", filename.strip())[:200].strip("._") or "upload"
    key = f"uploads/{uuid.uuid4().hex}/{safe_name}"
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if content_type:
        params["ContentType"] = content_type
    url = client("s3").generate_presigned_url("put_object", Params=params, ExpiresIn=UPLOAD_URL_SECONDS)
    return {
        "upload_url": url,
        "method": "PUT",
        "s3_uri": f"s3://{bucket}/{key}",
        "expires_in": UPLOAD_URL_SECONDS,
        "headers": {"Content-Type": content_type} if content_type else {},
    }
