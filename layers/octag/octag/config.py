"""Every environment variable Octag reads, in one pydantic-settings class.

The README's configuration table lists each of them (a test keeps the two in step).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LlmProvider = Literal["offline", "bedrock", "openai", "anthropic", "google"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    env: Literal["local", "aws"] = Field(
        "local", validation_alias="OCTAG_ENV", description="`local` for `octag up`, `aws` when deployed"
    )
    data_dir: Path = Field(
        Path(".octag"),
        validation_alias="OCTAG_DATA_DIR",
        description="All local state: database files, logs, MLflow store",
    )
    host: str = Field(
        "127.0.0.1",
        validation_alias="OCTAG_HOST",
        description="Address the local servers bind to (loopback only)",
    )
    http_port: int = Field(3000, validation_alias="OCTAG_HTTP_PORT", description="Local REST API port")
    ws_port: int = Field(
        3001,
        validation_alias="OCTAG_WS_PORT",
        description="Local WebSocket API and `@connections` management API port",
    )
    aws_port: int = Field(
        0,
        validation_alias="OCTAG_AWS_PORT",
        description="Port of the local AWS endpoint started by `octag up` (0: any free)",
    )
    template: Path | None = Field(
        None,
        validation_alias="OCTAG_TEMPLATE",
        description="Route manifest read by `octag up` (default: template-local.yml)",
    )
    log_level: str = Field("INFO", validation_alias="OCTAG_LOG_LEVEL", description="Log level")
    lambda_concurrency: int = Field(
        4,
        validation_alias="OCTAG_LAMBDA_CONCURRENCY",
        description="Local execution environments per function",
    )
    ws_idle_timeout: int = Field(
        600,
        validation_alias="OCTAG_WS_IDLE_TIMEOUT",
        description="Seconds before an idle WebSocket is closed (AWS: 600)",
    )

    database_url: str | None = Field(
        None,
        validation_alias="DATABASE_URL",
        description="PostgreSQL URL; unset: the embedded server in the data dir",
    )
    db_pool_min: int = Field(1, validation_alias="OCTAG_DB_POOL_MIN", description="Connection pool minimum")
    db_pool_max: int = Field(5, validation_alias="OCTAG_DB_POOL_MAX", description="Connection pool maximum")

    aws_endpoint_url: str | None = Field(
        None,
        validation_alias="AWS_ENDPOINT_URL",
        description="AWS endpoint (LocalStack, moto); unset: real AWS, "
        "or the local endpoint under `octag up`",
    )
    aws_region: str = Field("ap-northeast-2", validation_alias="AWS_REGION", description="AWS region")
    websocket_endpoint_url: str | None = Field(
        None,
        validation_alias="WEBSOCKET_ENDPOINT_URL",
        description="`@connections` endpoint used to push frames (set by `octag up` and CDK)",
    )
    critical_events_queue_url: str | None = Field(
        None,
        validation_alias="CRITICAL_EVENTS_QUEUE_URL",
        description="Queue for important events (sent at once)",
    )
    batch_events_queue_url: str | None = Field(
        None, validation_alias="BATCH_EVENTS_QUEUE_URL", description="Queue for batched analytics events"
    )
    connections_table: str | None = Field(
        None, validation_alias="CONNECTIONS_TABLE", description="DynamoDB table of live WebSocket connections"
    )
    event_retention_days: int = Field(
        90, validation_alias="OCTAG_EVENT_RETENTION_DAYS", description="Days stored analytics events are kept"
    )

    max_request_bytes: int = Field(
        65536,
        validation_alias="OCTAG_MAX_REQUEST_BYTES",
        description="Largest JSON request body the REST API accepts (larger: 413)",
    )

    jwt_keys_secret_id: str | None = Field(
        None,
        validation_alias="JWT_KEYS_SECRET_ID",
        description="Secrets Manager secret holding the JWT signing key set",
    )
    jwt_issuer: str = Field(
        "octag", validation_alias="OCTAG_JWT_ISSUER", description="`iss` of access tokens"
    )
    jwt_audience: str = Field(
        "octag-api", validation_alias="OCTAG_JWT_AUDIENCE", description="`aud` of access tokens"
    )
    access_token_ttl: int = Field(
        900,
        validation_alias="OCTAG_ACCESS_TOKEN_TTL",
        description="Access token lifetime in seconds (15 min)",
    )
    refresh_token_ttl: int = Field(
        1209600,
        validation_alias="OCTAG_REFRESH_TOKEN_TTL",
        description="Refresh token lifetime in seconds (14 days)",
    )
    signing_key_cache_ttl: int = Field(
        300,
        validation_alias="OCTAG_SIGNING_KEY_CACHE_TTL",
        description="Seconds a process caches the signing key set",
    )
    login_max_failures: int = Field(
        5,
        validation_alias="OCTAG_LOGIN_MAX_FAILURES",
        description="Failed logins per account within the window before 429",
    )
    login_max_failures_per_ip: int = Field(
        20,
        validation_alias="OCTAG_LOGIN_MAX_FAILURES_PER_IP",
        description="Failed logins per source IP within the window before 429",
    )
    login_failure_window: int = Field(
        900,
        validation_alias="OCTAG_LOGIN_FAILURE_WINDOW",
        description="Window in seconds for counting failed logins",
    )

    embedding_model: str = Field(
        "use-multilingual-v3",
        validation_alias="OCTAG_EMBEDDING_MODEL",
        description="Embedder for new collections: `use-multilingual-v3` (offline) or a Bedrock model id",
    )
    etl_batch_size: int = Field(
        64, validation_alias="OCTAG_ETL_BATCH_SIZE", description="Chunks embedded and loaded per batch"
    )

    etl_jobs_queue_url: str | None = Field(
        None,
        validation_alias="ETL_JOBS_QUEUE_URL",
        description="Queue the ETL worker consumes (one job per message)",
    )
    documents_bucket: str | None = Field(
        None, validation_alias="DOCUMENTS_BUCKET", description="S3 bucket for uploaded source documents"
    )

    nlu_llm_timeout: float = Field(
        10.0,
        validation_alias="OCTAG_NLU_LLM_TIMEOUT",
        description="Seconds the LLM analyzer may take before the offline analyzer answers instead",
    )

    configured_llm_provider: LlmProvider | None = Field(
        None,
        validation_alias="OCTAG_LLM_PROVIDER",
        description="Chat model provider: `offline`, `bedrock`, `openai`, `anthropic` or `google` "
        "(default: `bedrock` when OCTAG_ENV=aws, else `offline`)",
    )
    llm_model: str | None = Field(
        None, validation_alias="OCTAG_LLM_MODEL", description="Model id (default: the provider's default)"
    )
    llm_timeout: float = Field(
        30.0,
        validation_alias="OCTAG_LLM_TIMEOUT",
        description="Seconds an answer may take before the offline provider answers instead",
    )

    seed_demo: bool = Field(
        True,
        validation_alias="OCTAG_SEED_DEMO",
        description="`octag up` loads the escape-room catalog when it is empty",
    )

    @property
    def llm_provider(self) -> LlmProvider:
        if self.configured_llm_provider is not None:
            return self.configured_llm_provider
        return "bedrock" if self.env == "aws" else "offline"

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()


@cache
def get_settings() -> Settings:
    return Settings()
