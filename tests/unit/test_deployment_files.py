"""docker-compose.yml and the Dockerfile, read and checked (no Docker engine
here): the compose file against the Compose Specification's JSON schema (as
vendored, Apache-2.0, by the `check-jsonschema` package), and both against the
properties the README promises."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import dockerfile
import jsonschema
import pytest
import yaml

from steadygraph.temporal.contract import SEARCH_ATTRIBUTES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
STEADYGRAPH_SERVICES = ("migrate", "api", "worker")


def _one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "")).startswith("on-failure")


LONG_RUNNING = sorted(name for name, service in SERVICES.items() if not _one_shot(service))
ONE_SHOT = sorted(name for name, service in SERVICES.items() if _one_shot(service))


def _compose_schema() -> dict[str, Any]:
    vendored = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(vendored.read_text())


def _interpolate(text: str) -> str:
    """Compose's variable interpolation with no variables set: every default."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        if match.group("default") is None:
            raise AssertionError(f"{match.group(0)} has no default: `docker compose up` needs it")
        return match.group("default")

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?::-(?P<default>[^}]*))?\}", substitute, text)


def test_compose_file_follows_the_compose_specification() -> None:
    schema = _compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert errors == []
    # And as Compose reads it once variables are filled in: still valid.
    interpolated = yaml.safe_load(_interpolate(COMPOSE_TEXT))
    assert [e.message for e in validator.iter_errors(interpolated)] == []


def test_the_schema_check_catches_a_broken_file() -> None:
    schema = _compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    for broken in (
        {"services": {"api": {"imagee": "x"}}},
        {"services": {"api": {"depends_on": {"db": {"condition": "service_happy"}}}}},
        {"services": {"api": {"healthcheck": {"test": 1}}}},
    ):
        assert not validator.is_valid(broken), broken


def test_every_dollar_is_a_variable_with_a_default_or_escaped() -> None:
    # Compose would read a bare `$name` (meant for the shell) as its own variable.
    bare = re.findall(r"\$(?!\{)\S*", COMPOSE_TEXT.replace("$$", ""))
    assert bare == []
    _interpolate(COMPOSE_TEXT)  # raises on a ${VAR} without a default


def test_the_stack_has_the_expected_services_and_images() -> None:
    images = {name: service.get("image", "") for name, service in SERVICES.items()}
    assert images["postgres"] == "pgvector/pgvector:pg16"
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert images["temporal-schema"].startswith("temporalio/admin-tools:")
    assert images["temporal-setup"].startswith("temporalio/admin-tools:")
    for name in STEADYGRAPH_SERVICES:
        assert SERVICES[name]["build"]["context"] == "."
    # The topology tests/e2e/test_topology.py runs: 2 APIs, 3 workers, PostgreSQL.
    assert SERVICES["api"]["deploy"]["replicas"] == 2
    assert SERVICES["worker"]["deploy"]["replicas"] == 3
    assert set(ONE_SHOT) == {"temporal-schema", "temporal-setup", "migrate"}


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_a_healthcheck_and_restart_unless_stopped(name: str) -> None:
    service = SERVICES[name]
    assert service["restart"] == "unless-stopped"
    healthcheck = service["healthcheck"]
    assert not healthcheck.get("disable") and healthcheck["test"]


@pytest.mark.parametrize("name", ONE_SHOT)
def test_one_shot_services_are_awaited_to_completion(name: str) -> None:
    waiting = [
        other
        for other, service in SERVICES.items()
        if service.get("depends_on", {}).get(name, {}).get("condition")
        == "service_completed_successfully"
    ]
    assert waiting, f"nothing waits for {name} to finish"
    assert "healthcheck" not in SERVICES[name]  # it exits; health has no meaning


def test_every_published_port_is_bound_to_loopback() -> None:
    published = [
        (name, port) for name, service in SERVICES.items() for port in service.get("ports", [])
    ]
    assert {name for name, _ in published} == {"api", "temporal", "temporal-ui"}
    for name, port in published:
        assert isinstance(port, str) and port.startswith("127.0.0.1:"), (name, port)


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, f"{duration!r}: write stop grace periods in seconds, e.g. 45s"
    return float(match.group(1))


def test_workers_get_longer_to_stop_than_their_shutdown_grace() -> None:
    """Docker SIGKILLs a service still running after its stop_grace_period: a
    worker must have time to drain its steps and hand the rest back first."""
    environment = yaml.safe_load(_interpolate(COMPOSE_TEXT))["x-steadygraph"]["environment"]
    grace = float(environment["STEADYGRAPH_SHUTDOWN_GRACE"])
    assert _seconds(SERVICES["worker"]["stop_grace_period"]) >= grace + 10
    assert "stop_grace_period" in SERVICES["api"]


def test_dependencies_are_conditions_on_services_that_exist() -> None:
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for other, how in depends_on.items():
            assert other in SERVICES, (name, other)
            condition = how["condition"]
            expected = "service_completed_successfully" if other in ONE_SHOT else "service_healthy"
            assert condition == expected, (name, other, condition)
    for name in ("api", "worker"):
        assert set(SERVICES[name]["depends_on"]) >= {"migrate", "temporal-setup", "temporal"}
    assert "temporal-schema" in SERVICES["temporal"]["depends_on"]
    assert "postgres" in SERVICES["temporal-schema"]["depends_on"]


def test_temporal_setup_creates_the_namespace_and_our_search_attributes() -> None:
    script = _interpolate("\n".join(SERVICES["temporal-setup"]["command"]))
    assert "temporal operator namespace create" in script
    assert "temporal operator search-attribute create" in script and "--type Keyword" in script
    loop = re.search(r"for name in ([^;]+);", script)
    assert loop is not None
    assert loop.group(1).split() == [key.name for key in SEARCH_ATTRIBUTES]


def test_temporal_persists_in_postgres_through_the_server_env_config() -> None:
    env = SERVICES["temporal"]["environment"]
    assert env["DB"] == "postgres12" and env["POSTGRES_SEEDS"] == "postgres"
    schema = "\n".join(SERVICES["temporal-schema"]["command"])
    for database in ("temporal", "temporal_visibility"):
        assert database in schema
    assert "update-schema" in schema


def test_steadygraph_services_serve_the_users_project() -> None:
    for name in STEADYGRAPH_SERVICES:
        service = SERVICES[name]
        env = service["environment"]
        assert env["STEADYGRAPH_CONFIG"] == "/project/langgraph.json"
        assert env["STEADYGRAPH_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:5432/" in env["STEADYGRAPH_DATABASE_URL"]
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
        assert "${STEADYGRAPH_PROJECT:-./examples}" in COMPOSE_TEXT
        assert service["build"]["additional_contexts"]["project"] == (
            "${STEADYGRAPH_PROJECT:-./examples}"
        )
    assert (ROOT / "examples" / "langgraph.json").is_file()  # the default project
    assert SERVICES["migrate"]["command"] == ["steadygraph", "migrate"]
    assert SERVICES["worker"]["command"][:2] == ["steadygraph", "worker"]
    assert SERVICES["api"]["command"][:2] == ["steadygraph", "api"]
    assert "/ok" in " ".join(SERVICES["api"]["healthcheck"]["test"])


# --- Dockerfile ---------------------------------------------------------------------


def _stages() -> list[list[dockerfile.Command]]:
    """The Dockerfile's instructions per stage, as BuildKit's own parser reads them."""
    stages: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(command)
    return stages


def _all(stage: list[dockerfile.Command], cmd: str) -> list[dockerfile.Command]:
    return [command for command in stage if command.cmd == cmd]


def test_dockerfile_builds_a_wheel_then_a_slim_runtime() -> None:
    stages = _stages()
    names = [stage[0].value[-1] for stage in stages]
    assert "builder" in names and "project" in names  # `project` is what compose replaces
    builder = stages[names.index("builder")]
    copied = [command.value[0] for command in _all(builder, "COPY")]
    for folder in ("steadygraph", "api", "workflows", "activities"):
        assert folder in copied
    assert all((ROOT / path).exists() for path in copied)
    assert any("pip wheel" in command.value[0] for command in _all(builder, "RUN"))

    final = stages[-1]
    sources = [command.flags for command in _all(final, "COPY")]
    assert ("--from=builder",) in sources and ("--from=project",) in sources
    assert any(c.value[0].startswith("PROJECT_REQUIREMENTS") for c in _all(final, "ARG"))


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck_and_the_api() -> None:
    final = _stages()[-1]
    user = _all(final, "USER")[-1].value[0]
    assert user.split(":")[0] not in ("root", "0")
    (healthcheck,) = _all(final, "HEALTHCHECK")
    assert healthcheck.value[0] == "CMD" and "/ok" in " ".join(healthcheck.value)
    (cmd,) = _all(final, "CMD")
    assert cmd.json and list(cmd.value) == ["steadygraph", "api", "--host", "0.0.0.0"]
    env = [c.value for c in _all(final, "ENV")]
    settings = {k: v for values in env for k, v in zip(values[::2], values[1::2], strict=True)}
    assert settings["STEADYGRAPH_CONFIG"] == "/project/langgraph.json"


def test_dockerignore_keeps_what_the_build_copies() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ("steadygraph", "api", "workflows", "activities", "examples", "pyproject.toml"):
        assert needed not in ignored
    assert ".venv" in ignored and ".git" in ignored
