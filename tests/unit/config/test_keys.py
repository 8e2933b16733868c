"""langgraph.json keys: served, reported or refused, never silently ignored."""

from __future__ import annotations

import pytest

from steadygraph.config.errors import ConfigError
from steadygraph.config.http import HeaderPatterns, parse_http
from steadygraph.config.keys import check_keys


def test_served_keys_pass_without_notices() -> None:
    raw = {
        "$schema": "https://example/schema.json",
        "graphs": {"agent": "./agent.py:graph"},
        "dependencies": ["."],
        "env": {},
        "store": {"index": {"dims": 3, "embed": "x:y"}, "ttl": {"default_ttl": 5}},
        "checkpointer": {"ttl": {"default_ttl": 60, "strategy": "delete"}},
        "http": {"app": "./app.py:app", "cors": {"allow_origins": ["*"]}, "disable_ui": True},
        "webhooks": {"url": {"require_https": True}},
        "dockerfile_lines": [],
        "ui": None,
    }
    assert check_keys(raw, "langgraph.json") == []


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"grpahs": {}}, "unknown key 'grpahs' (did you mean 'graphs'?)"),
        ({"http": {"cosr": {}}}, "unknown key 'http.cosr' (did you mean 'http.cors'?)"),
        (
            {"http": {"cors": {"allow_origin": []}}},
            "unknown key 'http.cors.allow_origin' (did you mean 'http.cors.allow_origins'?)",
        ),
        ({"checkpointer": {"ttl": {"zzz": 1}}}, "unknown key 'checkpointer.ttl.zzz' (known keys"),
        ({"encryption": {"path": "./e.py:e"}}, "encryption: custom at-rest encryption"),
        ({"http": {"mount_prefix": "/api"}}, "http.mount_prefix: serving the API under"),
    ],
)
def test_unknown_or_refused_keys_stop_startup(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        check_keys(raw, "langgraph.json")
    assert message in str(error.value)


def test_keys_without_effect_are_one_line_each() -> None:
    notices = check_keys(
        {
            "python_version": "3.12",
            "base_image": "x",
            "ui": {"agent": "./ui.tsx"},
            "checkpointer": {"serde": {"pickle_fallback": False}},
        },
        "langgraph.json",
    )
    assert notices[0].startswith("langgraph.json: python_version, base_image: only used by")
    assert notices[1].startswith("langgraph.json: ui: ")
    assert notices[2].startswith("langgraph.json: checkpointer.serde: not applied")
    assert len(notices) == 3


def test_http_section_is_parsed_and_checked() -> None:
    http = parse_http(
        {
            "disable_store": True,
            "disable_meta": False,
            "cors": {"allow_origins": ["http://a"], "max_age": 5, "allow_credentials": True},
            "configurable_headers": {"includes": ["x-user-*"], "excludes": ["x-user-secret"]},
        },
        "langgraph.json",
    )
    assert http.disabled == {"store"}
    assert http.cors == {"allow_origins": ["http://a"], "max_age": 5, "allow_credentials": True}
    assert http.configurable_headers == HeaderPatterns(("x-user-*",), ("x-user-secret",))
    assert http.configurable_headers.matches("X-User-Id")
    assert not http.configurable_headers.matches("x-user-secret")
    assert not http.configurable_headers.matches("authorization")
    for bad, where in [
        ({"disable_runs": "yes"}, "http.disable_runs: must be true or false"),
        ({"cors": {"allow_origins": "*"}}, "http.cors.allow_origins: must be a list"),
        ({"app": "app.js:app"}, "http.app: app.js is not a Python (.py) file"),
        ({"app": "nocolon"}, "http.app: 'nocolon' must be"),
        ({"middleware_order": "last"}, "http.middleware_order: must be"),
    ]:
        with pytest.raises(ConfigError, match=where.replace("(", r"\(").replace(")", r"\)")):
            parse_http(bad, "langgraph.json")
