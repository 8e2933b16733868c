"""Process settings, read from environment variables and overridden by CLI flags.

One dataclass is shared by the API, the worker and `dev`, so every knob has one
name and one default. Environment variable names are listed next to each field
and in README.md; :class:`Environment` reads and validates them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from steadygraph.temporal.client_config import TemporalConfigError, load_client_config
from steadygraph.temporal.contract import DEFAULT_STEP_POLICY, StepPolicy

DEFAULT_TEMPORAL_ADDRESS = "127.0.0.1:7233"


class SettingsError(ValueError):
    """An environment variable with a value Steadygraph cannot use; the message is one
    line naming the variable, meant to be printed as-is."""


@dataclass(frozen=True)
class Settings:
    config_path: Path = Path("langgraph.json")  # STEADYGRAPH_CONFIG
    host: str = "127.0.0.1"  # STEADYGRAPH_HOST
    port: int = 8123  # STEADYGRAPH_PORT
    data_dir: Path = Path(".steadygraph")  # STEADYGRAPH_DATA_DIR
    database_url: str | None = None  # STEADYGRAPH_DATABASE_URL / DATABASE_URL
    # Temporal's client config (temporalio.envconfig: TEMPORAL_CONFIG_FILE,
    # TEMPORAL_PROFILE, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...); `--temporal-address`
    # and `dev`'s embedded server override the address.
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    # The rest of Client.connect's arguments from that config: api_key, tls, rpc_metadata.
    temporal_connect: Mapping[str, Any] = field(default_factory=dict)
    temporal_ui_url: str | None = None  # STEADYGRAPH_TEMPORAL_UI_URL
    task_queue: str = "steadygraph"  # STEADYGRAPH_TASK_QUEUE
    # Timeouts and retries of each super-step activity; travels with each run.
    # STEADYGRAPH_STEP_MAX_ATTEMPTS, STEADYGRAPH_STEP_RETRY_INTERVAL (initial_interval_s),
    # STEADYGRAPH_STEP_BACKOFF, STEADYGRAPH_STEP_MAX_RETRY_INTERVAL (max_interval_s),
    # STEADYGRAPH_STEP_TIMEOUT, STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT, STEADYGRAPH_STEP_LOCAL.
    # langgraph.json's `steadygraph` section lays its values over these.
    step: StepPolicy = DEFAULT_STEP_POLICY
    # The longest a run may take (seconds) before it ends as `timeout`; None: no limit.
    run_timeout_s: float | None = None  # STEADYGRAPH_RUN_TIMEOUT
    max_concurrent_steps: int = 100  # STEADYGRAPH_MAX_CONCURRENT_STEPS
    # Worker processes `steadygraph dev` runs. One keeps one core busy at most
    # (its Python holds the GIL); a second, where there is a second core, gave
    # ~40 % more runs/s (bench/README.md) for one more process's memory.
    dev_workers: int = min(2, os.cpu_count() or 1)  # STEADYGRAPH_DEV_WORKERS / --workers
    # On SIGTERM a worker lets running super-steps finish for this long, then
    # hands the rest back to other workers.
    shutdown_grace_s: float = 30.0  # STEADYGRAPH_SHUTDOWN_GRACE
    # Super-steps a run's workflow runs before it continues as new (0: the
    # workflow's own default, 500); travels with each run.
    steps_per_execution: int = 0  # STEADYGRAPH_STEPS_PER_EXECUTION
    ttl_sweep_s: float = 60.0  # STEADYGRAPH_TTL_SWEEP_INTERVAL: how often thread TTLs apply
    # How long a starting API or worker waits for Temporal and the database.
    connect_timeout_s: float = 120.0  # STEADYGRAPH_CONNECT_TIMEOUT
    # Static keys a request must present as `x-api-key` (several, to rotate one).
    api_keys: tuple[str, ...] = ()  # STEADYGRAPH_API_KEYS (comma-separated)
    # Answer Chrome's Private Network Access preflight, so LangGraph Studio (a public
    # site) may call an API on a private address; `steadygraph dev` turns it on.
    allow_private_network: bool = False  # STEADYGRAPH_ALLOW_PRIVATE_NETWORK
    max_body_bytes: int = 10 * 1024 * 1024  # STEADYGRAPH_MAX_BODY_BYTES: larger requests get 413
    # host:port where the worker serves the Temporal SDK's Prometheus metrics; off if unset.
    worker_metrics_address: str | None = None  # STEADYGRAPH_WORKER_METRICS_ADDRESS
    log_format: Literal["text", "json"] = "text"  # STEADYGRAPH_LOG_FORMAT
    # OpenTelemetry traces over OTLP (steadygraph.tracing); STEADYGRAPH_OTEL, on by
    # default when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set.
    otel: bool = False

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from the environment; unset or empty variables keep the defaults.

        Raises SettingsError naming the variable whose value is unusable.
        """
        try:
            environment = Environment()
        except ValidationError as exc:
            raise SettingsError(_one_line(exc)) from None
        values = environment.model_dump(exclude_unset=True)
        # Checked above for a clear message; temporalio.envconfig applies it.
        values.pop("temporal_tls", None)
        try:
            temporal = load_client_config()
        except TemporalConfigError as exc:
            raise SettingsError(str(exc)) from None
        if temporal.address:
            values["temporal_address"] = temporal.address
        if temporal.namespace:
            values["temporal_namespace"] = temporal.namespace
        values["temporal_connect"] = dict(temporal.connect)
        if "otel" not in values:
            values["otel"] = any(
                os.environ.get(name)
                for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            )
        step = {
            name.removeprefix("step_"): values.pop(name)
            for name in list(values)
            if name.startswith("step_")
        }
        if "api_keys" in values:
            values["api_keys"] = tuple(
                key.strip() for key in values["api_keys"].split(",") if key.strip()
            )
        return cls(**values, step=replace(DEFAULT_STEP_POLICY, **step))

    def with_overrides(self, **changes: Any) -> Settings:
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
    def shown_storage_url(self) -> str:
        """The metadata database's URL without its password, for logs."""
        return make_url(self.storage_url).render_as_string(hide_password=True)

    @property
    def temporal_target(self) -> str:
        return self.temporal_address or DEFAULT_TEMPORAL_ADDRESS

    @property
    def is_postgres(self) -> bool:
        return self.database_url is not None and self.database_url.startswith("postgres")


def _env(*names: str) -> Any:
    """A field read from these variables (the first one set wins); the default,
    None, means "not set": Settings' own default applies."""
    return Field(None, validation_alias=AliasChoices(*names) if len(names) > 1 else names[0])


class Environment(BaseSettings):
    """The environment variables Steadygraph reads, parsed and checked.

    Only the variables that are set (and not empty) reach Settings, so each default
    lives in one place, the Settings dataclass. ``step_<name>`` is ``StepPolicy.<name>``.
    """

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore")

    config_path: Path | None = _env("STEADYGRAPH_CONFIG")
    host: str | None = _env("STEADYGRAPH_HOST")
    port: int | None = Field(None, ge=0, le=65535, validation_alias="STEADYGRAPH_PORT")
    data_dir: Path | None = _env("STEADYGRAPH_DATA_DIR")
    database_url: str | None = _env("STEADYGRAPH_DATABASE_URL", "DATABASE_URL")
    # The other TEMPORAL_* variables are read by temporalio.envconfig, which takes
    # any value of this one that is not "false"/"0" as "on": checked here instead.
    temporal_tls: bool | None = _env("TEMPORAL_TLS")
    temporal_ui_url: str | None = _env("STEADYGRAPH_TEMPORAL_UI_URL")
    task_queue: str | None = _env("STEADYGRAPH_TASK_QUEUE")
    step_max_attempts: int | None = Field(
        None, ge=1, validation_alias="STEADYGRAPH_STEP_MAX_ATTEMPTS"
    )
    step_initial_interval_s: float | None = Field(
        None, gt=0, validation_alias="STEADYGRAPH_STEP_RETRY_INTERVAL"
    )
    step_backoff: float | None = Field(None, ge=1, validation_alias="STEADYGRAPH_STEP_BACKOFF")
    step_max_interval_s: float | None = Field(
        None, gt=0, validation_alias="STEADYGRAPH_STEP_MAX_RETRY_INTERVAL"
    )
    step_timeout_s: float | None = Field(None, gt=0, validation_alias="STEADYGRAPH_STEP_TIMEOUT")
    step_heartbeat_timeout_s: float | None = Field(
        None, gt=0, validation_alias="STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT"
    )
    step_local: bool | None = _env("STEADYGRAPH_STEP_LOCAL")
    run_timeout_s: float | None = Field(None, gt=0, validation_alias="STEADYGRAPH_RUN_TIMEOUT")
    max_concurrent_steps: int | None = Field(
        None, ge=1, validation_alias="STEADYGRAPH_MAX_CONCURRENT_STEPS"
    )
    dev_workers: int | None = Field(None, ge=1, validation_alias="STEADYGRAPH_DEV_WORKERS")
    shutdown_grace_s: float | None = Field(
        None, ge=0, validation_alias="STEADYGRAPH_SHUTDOWN_GRACE"
    )
    steps_per_execution: int | None = Field(
        None, ge=1, validation_alias="STEADYGRAPH_STEPS_PER_EXECUTION"
    )
    ttl_sweep_s: float | None = Field(None, gt=0, validation_alias="STEADYGRAPH_TTL_SWEEP_INTERVAL")
    connect_timeout_s: float | None = Field(
        None, ge=0, validation_alias="STEADYGRAPH_CONNECT_TIMEOUT"
    )
    api_keys: str | None = _env("STEADYGRAPH_API_KEYS")
    allow_private_network: bool | None = _env("STEADYGRAPH_ALLOW_PRIVATE_NETWORK")
    max_body_bytes: int | None = Field(None, ge=1, validation_alias="STEADYGRAPH_MAX_BODY_BYTES")
    worker_metrics_address: str | None = _env("STEADYGRAPH_WORKER_METRICS_ADDRESS")
    log_format: Literal["text", "json"] | None = _env("STEADYGRAPH_LOG_FORMAT")
    otel: bool | None = _env("STEADYGRAPH_OTEL")


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"])
        problems.append(f"{name}={error['input']!r}: {error['msg']}")
    return "invalid environment variable " + "; ".join(problems)


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
