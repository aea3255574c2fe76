"""boto3 clients from one factory that honours `AWS_ENDPOINT_URL` (moto, LocalStack) and the region."""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

from octag.config import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str], Any] = {}
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30)


def client(service: str, *, endpoint_url: str | None = None) -> Any:
    """A cached boto3 client; `endpoint_url` overrides the configured one (e.g. `@connections`)."""
    settings = get_settings()
    endpoint = endpoint_url or settings.aws_endpoint_url
    key = (service, endpoint, settings.aws_region)
    with _lock:
        if key not in _clients:
            if endpoint and "AWS_ACCESS_KEY_ID" not in os.environ:
                # Local endpoints accept any credentials; never fall through to a real profile.
                os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
                os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            _clients[key] = boto3.session.Session().client(
                service, region_name=settings.aws_region, endpoint_url=endpoint, config=_CONFIG
            )
        return _clients[key]


def reset_clients() -> None:
    with _lock:
        _clients.clear()
