"""Settings from environment variables (steadygraph.config.settings)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.service import TLSConfig

from steadygraph.config.settings import Settings, SettingsError, StepPolicy

VARIABLES = {
    "STEADYGRAPH_CONFIG": "/srv/langgraph.json",
    "STEADYGRAPH_HOST": "0.0.0.0",
    "STEADYGRAPH_PORT": "9000",
    "STEADYGRAPH_DATA_DIR": "/var/lib/steadygraph",
    "STEADYGRAPH_DATABASE_URL": "postgresql://db/steadygraph",
    "TEMPORAL_ADDRESS": "temporal:7233",
    "TEMPORAL_NAMESPACE": "prod",
    "TEMPORAL_API_KEY": "key",
    "TEMPORAL_TLS": "1",
    "STEADYGRAPH_TEMPORAL_UI_URL": "https://ui",
    "STEADYGRAPH_TASK_QUEUE": "q",
    "STEADYGRAPH_STEP_MAX_ATTEMPTS": "5",
    "STEADYGRAPH_STEP_RETRY_INTERVAL": "0.5",
    "STEADYGRAPH_STEP_TIMEOUT": "60",
    "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "4",
    "STEADYGRAPH_STEP_BACKOFF": "1.5",
    "STEADYGRAPH_STEP_MAX_RETRY_INTERVAL": "12",
    "STEADYGRAPH_STEP_LOCAL": "0",
    "STEADYGRAPH_RUN_TIMEOUT": "900",
    "STEADYGRAPH_MAX_CONCURRENT_STEPS": "7",
    "STEADYGRAPH_DEV_WORKERS": "3",
    "STEADYGRAPH_SHUTDOWN_GRACE": "90",
    "STEADYGRAPH_TTL_SWEEP_INTERVAL": "2.5",
    "STEADYGRAPH_API_KEYS": " old-key, new-key ,,",
    "STEADYGRAPH_WORKER_METRICS_ADDRESS": "0.0.0.0:9464",
    "STEADYGRAPH_LOG_FORMAT": "json",
    "STEADYGRAPH_OTEL": "1",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [
        *VARIABLES,
        "DATABASE_URL",
        "TEMPORAL_CONFIG_FILE",
        "TEMPORAL_PROFILE",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]:
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_variables() -> None:
    assert Settings.from_env() == Settings()
    assert Settings().step.local  # super-steps are local activities unless turned off


def test_every_variable_reaches_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in VARIABLES.items():
        monkeypatch.setenv(name, value)

    assert Settings.from_env() == Settings(
        config_path=Path("/srv/langgraph.json"),
        host="0.0.0.0",
        port=9000,
        data_dir=Path("/var/lib/steadygraph"),
        database_url="postgresql://db/steadygraph",
        temporal_address="temporal:7233",
        temporal_namespace="prod",
        temporal_connect={"api_key": "key", "tls": TLSConfig()},
        temporal_ui_url="https://ui",
        task_queue="q",
        step=StepPolicy(
            max_attempts=5,
            initial_interval_s=0.5,
            backoff=1.5,
            max_interval_s=12.0,
            timeout_s=60.0,
            heartbeat_timeout_s=4.0,
            local=False,
        ),
        run_timeout_s=900.0,
        max_concurrent_steps=7,
        dev_workers=3,
        shutdown_grace_s=90.0,
        ttl_sweep_s=2.5,
        api_keys=("old-key", "new-key"),
        worker_metrics_address="0.0.0.0:9464",
        log_format="json",
        otel=True,
    )


def test_empty_variables_keep_defaults_and_database_url_falls_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STEADYGRAPH_PORT", "")
    monkeypatch.setenv("STEADYGRAPH_DATABASE_URL", "")
    monkeypatch.setenv("DATABASE_URL", "postgres://fallback/db")

    settings = Settings.from_env()

    assert settings.port == 8123
    assert settings.database_url == "postgres://fallback/db"


@pytest.mark.parametrize(
    "name, value",
    [
        ("STEADYGRAPH_PORT", "abc"),
        ("STEADYGRAPH_PORT", "70000"),
        ("STEADYGRAPH_STEP_MAX_ATTEMPTS", "-1"),
        ("STEADYGRAPH_STEP_TIMEOUT", "0"),
        ("STEADYGRAPH_SHUTDOWN_GRACE", "-1"),
        ("TEMPORAL_TLS", "maybe"),
        ("STEADYGRAPH_LOG_FORMAT", "xml"),
    ],
)
def test_unusable_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^invalid environment variable {name}='{value}': "):
        Settings.from_env()


def test_cli_overrides_win_and_none_means_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEADYGRAPH_PORT", "9000")
    monkeypatch.setenv("STEADYGRAPH_HOST", "0.0.0.0")

    settings = Settings.from_env().with_overrides(port=9100, host=None)

    assert (settings.port, settings.host) == (9100, "0.0.0.0")


def test_an_otlp_endpoint_turns_tracing_on_unless_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert Settings.from_env().otel is True
    monkeypatch.setenv("STEADYGRAPH_OTEL", "0")
    assert Settings.from_env().otel is False


def test_a_bad_temporal_config_file_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "temporal.toml"
    config.write_text("[profile.default\naddress = ")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config))
    with pytest.raises(SettingsError) as raised:
        Settings.from_env()
    message = str(raised.value)
    assert "\n" not in message and str(config) in message and "TOML parse error" in message
