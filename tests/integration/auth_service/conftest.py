"""The auth use cases against a real migrated database and a real local Secrets Manager / SQS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from local.aws_endpoint import LocalAwsEndpoint
from octag.auth import keys
from octag.aws import reset_clients
from octag.config import get_settings

REGION = "ap-northeast-2"


@pytest.fixture(scope="session")
def aws_url() -> Iterator[str]:
    with LocalAwsEndpoint() as endpoint:
        yield endpoint.start()


@pytest.fixture
def aws(aws_url: str, octag_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh signing-key secret and critical queue; settings and clients pointed at them."""
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    sm = session.client("secretsmanager", endpoint_url=aws_url, region_name=REGION)
    sqs = session.client("sqs", endpoint_url=aws_url, region_name=REGION)
    suffix = uuid.uuid4().hex[:12]
    secret = sm.create_secret(Name=f"jwt-{suffix}", SecretString=json.dumps({"kid": "k1", "seed": "s" * 64}))
    queue_url = sqs.create_queue(QueueName=f"critical-{suffix}")["QueueUrl"]
    for key, value in {
        "AWS_ENDPOINT_URL": aws_url,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "JWT_KEYS_SECRET_ID": secret["ARN"],
        "CRITICAL_EVENTS_QUEUE_URL": queue_url,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    reset_clients()
    keys._caches.clear()
    yield {"sm": sm, "sqs": sqs, "secret_id": secret["ARN"], "queue_url": queue_url}
    keys._caches.clear()
    reset_clients()
    get_settings.cache_clear()
