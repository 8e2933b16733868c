"""Process settings, read from environment variables and overridden by CLI flags.

One dataclass is shared by the API, the worker and `dev`, so every knob has one
name and one default. Environment variable names are listed next to each field
and in README.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from steadygraph.temporal.contract import StepPolicy


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    return float(raw) if raw is not None else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    return int(raw) if raw is not None else default


@dataclass(frozen=True)
class Settings:
    config_path: Path = Path("langgraph.json")  # STEADYGRAPH_CONFIG
    host: str = "127.0.0.1"  # STEADYGRAPH_HOST
    port: int = 8123  # STEADYGRAPH_PORT
    data_dir: Path = Path(".steadygraph")  # STEADYGRAPH_DATA_DIR
    database_url: str | None = None  # STEADYGRAPH_DATABASE_URL / DATABASE_URL
    temporal_address: str | None = None  # TEMPORAL_ADDRESS
    temporal_namespace: str = "default"  # TEMPORAL_NAMESPACE
    temporal_api_key: str | None = None  # TEMPORAL_API_KEY (Temporal Cloud)
    temporal_tls: bool = False  # TEMPORAL_TLS=1
    temporal_ui_url: str | None = None  # STEADYGRAPH_TEMPORAL_UI_URL
    task_queue: str = "steadygraph"  # STEADYGRAPH_TASK_QUEUE
    # Timeouts and retries of each super-step activity; travels with each run.
    # STEADYGRAPH_STEP_MAX_ATTEMPTS, STEADYGRAPH_STEP_RETRY_INTERVAL (initial_interval_s),
    # STEADYGRAPH_STEP_TIMEOUT, STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT.
    step: StepPolicy = field(default_factory=StepPolicy)
    max_concurrent_steps: int = 100  # STEADYGRAPH_MAX_CONCURRENT_STEPS
    ttl_sweep_s: float = 60.0  # STEADYGRAPH_TTL_SWEEP_INTERVAL: how often thread TTLs apply

    @classmethod
    def from_env(cls) -> Settings:
        step = StepPolicy(
            max_attempts=_env_int("STEADYGRAPH_STEP_MAX_ATTEMPTS", 3),
            initial_interval_s=_env_float("STEADYGRAPH_STEP_RETRY_INTERVAL", 1.0),
            timeout_s=_env_float("STEADYGRAPH_STEP_TIMEOUT", 3600.0),
            heartbeat_timeout_s=_env_float("STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT", 10.0),
        )
        return cls(
            config_path=Path(_env("STEADYGRAPH_CONFIG", "langgraph.json") or ""),
            host=_env("STEADYGRAPH_HOST", "127.0.0.1") or "127.0.0.1",
            port=_env_int("STEADYGRAPH_PORT", 8123),
            data_dir=Path(_env("STEADYGRAPH_DATA_DIR", ".steadygraph") or ""),
            database_url=_env("STEADYGRAPH_DATABASE_URL") or _env("DATABASE_URL"),
            temporal_address=_env("TEMPORAL_ADDRESS"),
            temporal_namespace=_env("TEMPORAL_NAMESPACE", "default") or "default",
            temporal_api_key=_env("TEMPORAL_API_KEY"),
            temporal_tls=(_env("TEMPORAL_TLS", "0") or "0").lower() in ("1", "true", "yes"),
            temporal_ui_url=_env("STEADYGRAPH_TEMPORAL_UI_URL"),
            task_queue=_env("STEADYGRAPH_TASK_QUEUE", "steadygraph") or "steadygraph",
            step=step,
            max_concurrent_steps=_env_int("STEADYGRAPH_MAX_CONCURRENT_STEPS", 100),
            ttl_sweep_s=_env_float("STEADYGRAPH_TTL_SWEEP_INTERVAL", 60.0),
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def storage_url(self) -> str:
        """SQLAlchemy URL (async driver) of the metadata database."""
        if self.database_url:
            return to_async_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'steadygraph.sqlite').resolve()}"

    @property
    def checkpoint_url(self) -> str:
        """Where LangGraph's checkpointer keeps graph state: a file path or a Postgres DSN."""
        if self.database_url:
            return to_plain_postgres_dsn(self.database_url)
        return str((self.data_dir / "checkpoints.sqlite").resolve())

    @property
    def is_postgres(self) -> bool:
        return bool(self.database_url) and self.database_url.startswith("postgres")


def to_async_url(url: str) -> str:
    """Map a user-facing database URL onto the async SQLAlchemy driver we ship."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def to_plain_postgres_dsn(url: str) -> str:
    """psycopg (used by langgraph-checkpoint-postgres) wants a libpq URL without a driver."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    if url.startswith("sqlite"):
        raise ValueError("checkpoint_url is only derived for PostgreSQL URLs")
    return url
