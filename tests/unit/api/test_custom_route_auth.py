"""langgraph.json `auth` with `http.app`: the user's own routes stay open unless
`http.enable_custom_route_auth`, and `http.middleware_order` decides whether
the user's middleware runs before authentication (as in LangGraph Server).

The real app from `create_app`, driven in-process: authentication answers
before any route touches storage or Temporal, so no lifespan is needed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT
from starlette.testclient import TestClient

from steadygraph.api.app import create_app
from steadygraph.config.settings import Settings

PROJECTS = ROOT / "tests" / "projects"


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **http: Any) -> TestClient:
    monkeypatch.setenv("CUSTOM_APP_GREETING", "hi")
    config = tmp_path / "langgraph.json"
    config.write_text(
        json.dumps(
            {
                "dependencies": [str(PROJECTS / "auth")],
                "graphs": {"whoami": str(PROJECTS / "auth" / "whoami.py") + ":graph"},
                "auth": {"path": str(PROJECTS / "auth" / "auth.py") + ":auth"},
                "http": {"app": str(PROJECTS / "custom_app" / "webapp.py") + ":app", **http},
            }
        )
    )
    settings = Settings.from_env().with_overrides(config_path=config, data_dir=tmp_path / "data")
    return TestClient(create_app(settings))


def test_custom_routes_are_open_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _app(tmp_path, monkeypatch)
    assert client.get("/hello").status_code == 200
    refused = client.post("/threads/search", json={})
    assert refused.status_code == 401
    # middleware_first (the default): the user's middleware wraps authentication.
    assert refused.headers["x-user-middleware"] == "ran"


def test_enable_custom_route_auth_guards_the_users_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _app(tmp_path, monkeypatch, enable_custom_route_auth=True)
    assert client.get("/hello").status_code == 401
    allowed = client.get("/hello", headers={"Authorization": "Bearer alice-token"})
    assert allowed.status_code == 200


def test_auth_first_refuses_before_the_users_middleware(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _app(tmp_path, monkeypatch, middleware_order="auth_first")
    refused = client.post("/threads/search", json={})
    assert refused.status_code == 401
    assert "x-user-middleware" not in refused.headers


def test_a_browser_preflight_needs_no_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _app(tmp_path, monkeypatch, middleware_order="auth_first")
    preflight = client.options(
        "/threads/search",
        headers={"Origin": "http://page.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
