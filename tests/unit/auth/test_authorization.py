"""The pieces of custom auth that need no server: filters (in Python and in
SQL on SQLite and PostgreSQL, which must agree), users as handlers return
them, and which handler `authorize` asks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from harness import fresh_postgres_database
from langgraph_sdk import Auth
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from steadygraph.auth import AuthRejected, AuthUser, Caller, acting_as, authorize, visible
from steadygraph.auth.filters import BadFilter, filter_clause
from steadygraph.auth.loading import load_auth
from steadygraph.auth.users import InvalidUser, to_user
from steadygraph.config.project import ConfigError, ProjectConfig, load_project
from steadygraph.config.settings import to_async_url
from steadygraph.storage.schema import Json

ALICE = {"owner": "alice", "readers": ["alice", "bob"], "tier": 2}
BOB = {"owner": "bob", "readers": ["bob"]}
NONE: dict[str, Any] = {}

# (metadata, filter, whether it passes)
CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    (ALICE, {"owner": "alice"}, True),
    (BOB, {"owner": "alice"}, False),
    (NONE, {"owner": "alice"}, False),
    (ALICE, {"owner": {"$eq": "alice"}}, True),
    (BOB, {"owner": {"$eq": "alice"}}, False),
    (ALICE, {"readers": {"$contains": "bob"}}, True),
    (BOB, {"readers": {"$contains": "alice"}}, False),
    (ALICE, {"readers": {"$contains": ["alice", "bob"]}}, True),
    (BOB, {"readers": {"$contains": ["alice", "bob"]}}, False),
    (ALICE, {"owner": {"$contains": "alice"}}, False),  # not a list
    (ALICE, {"owner": "alice", "tier": 2}, True),
    (ALICE, {"owner": "alice", "tier": 3}, False),
    (BOB, {"$or": [{"owner": "alice"}, {"owner": "bob"}]}, True),
    (NONE, {"$or": [{"owner": "alice"}, {"owner": "bob"}]}, False),
    (ALICE, {"$and": [{"owner": "alice"}, {"tier": 2}]}, True),
    (ALICE, {"$and": [{"owner": "alice"}, {"tier": 1}]}, False),
    (ALICE, {"$or": [{"owner": "x"}, {"readers": {"$contains": "bob"}}], "tier": 2}, True),
]
IDS = [f"{i}:{f}" for i, (_, f, _) in enumerate(CASES)]


@pytest.mark.parametrize(("metadata", "filters", "expected"), CASES, ids=IDS)
def test_visible(metadata: dict[str, Any], filters: dict[str, Any], expected: bool) -> None:
    assert visible(metadata, filters) is expected


def test_no_filter_hides_nothing_and_a_bad_one_is_the_servers_fault() -> None:
    assert visible(BOB, None) and visible(None, {})
    for bad in ({"owner": {"$gt": 1}}, {"$or": []}, {"owner": {"$eq": 1, "$contains": 2}}):
        with pytest.raises(BadFilter) as info:
            visible(ALICE, bad)
        assert info.value.status_code == 500


_table = Table(
    "auth_filter_cases",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("metadata", Json),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def passes_in_sql(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Callable[[int, dict[str, Any]], Any]]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("auth_filter") / "cases.sqlite"
        async for query in _loaded(f"sqlite+aiosqlite:///{path}"):
            yield query
        return
    with fresh_postgres_database() as url:
        async for query in _loaded(to_async_url(url)):
            yield query


async def _loaded(url: str) -> AsyncIterator[Callable[[int, dict[str, Any]], Any]]:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(_table.metadata.create_all)
        rows = [{"id": i, "metadata": doc} for i, (doc, _, _) in enumerate(CASES)]
        await conn.execute(insert(_table), rows)

    async def query(row_id: int, filters: dict[str, Any]) -> bool:
        clause = filter_clause(_table.c.metadata, filters, engine.dialect.name)
        statement = select(_table.c.id).where(_table.c.id == row_id, clause)
        async with engine.connect() as conn:
            return (await conn.execute(statement)).first() is not None

    try:
        yield query
    finally:
        await engine.dispose()


@pytest.mark.parametrize("row_id", range(len(CASES)), ids=IDS)
async def test_filter_clause_agrees(
    passes_in_sql: Callable[[int, dict[str, Any]], Any], row_id: int
) -> None:
    _, filters, expected = CASES[row_id]
    assert await passes_in_sql(row_id, filters) is expected


class _Person:
    identity = "carol"
    role = "ops"

    def dict(self) -> dict[str, Any]:
        return {"team": "infra"}


def test_users_as_handlers_return_them() -> None:
    plain = to_user("dave")
    assert plain.identity == "dave" and plain["display_name"] == "dave" and plain.is_authenticated
    typed = to_user({"identity": "erin", "permissions": ["admin"], "org": "acme"})
    assert typed.permissions == ["admin"] and typed.org == "acme" and typed["org"] == "acme"
    person = to_user(_Person())
    # Its own attributes stay reachable; what travels with a run is plain JSON.
    assert person.identity == "carol" and person.role == "ops"
    assert person.dict() == {
        "identity": "carol",
        "display_name": "carol",
        "is_authenticated": True,
        "permissions": [],
        "team": "infra",
    }
    assert to_user((["read"], "frank")).permissions == ["read"]
    for bad in (None, 42, {"name": "no identity"}):
        with pytest.raises(InvalidUser):
            to_user(bad)


async def test_the_most_specific_handler_answers() -> None:
    auth = Auth()
    asked: list[str] = []

    @auth.on
    async def everything(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> bool:
        asked.append("global")
        return False

    @auth.on.threads
    async def threads(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> dict[str, Any]:
        asked.append("threads")
        return {"owner": ctx.user.identity}

    @auth.on.threads.create
    async def create(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
        asked.append("threads.create")
        value["metadata"]["owner"] = ctx.user.identity

    @auth.on(actions="search")
    async def search(ctx: Auth.types.AuthContext, value: dict[str, Any]) -> None:
        asked.append("*.search")
        raise Auth.exceptions.HTTPException(status_code=429, detail="slow down")

    value: dict[str, Any] = {"metadata": {}}
    assert await authorize("threads", "read", {}) is None  # nobody: nothing asked
    with acting_as(Caller(user=AuthUser({"identity": "alice"}), handlers=auth)):
        assert await authorize("threads", "create", value) is None
        assert value["metadata"] == {"owner": "alice"}
        assert await authorize("threads", "read", {}) == {"owner": "alice"}
        with pytest.raises(AuthRejected) as refused:
            await authorize("assistants", "read", {})
        assert refused.value.status_code == 403
        with pytest.raises(AuthRejected) as limited:
            await authorize("assistants", "search", {})
        assert (limited.value.status_code, limited.value.detail) == (429, "slow down")
    # A cron firing acts as its creator without asking any handler.
    with acting_as(Caller(user=AuthUser({"identity": "alice"}))):
        assert await authorize("assistants", "read", {}) is None
    assert asked == ["threads.create", "threads", "global", "*.search"]


def _project(tmp_path: Path, auth_py: str | None, auth: object) -> ProjectConfig:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "agent.py").write_text("graph = None\n")
    if auth_py is not None:
        (tmp_path / "auth_code.py").write_text(auth_py)
    config = {"graphs": {"agent": "./agent.py:graph"}, "auth": auth}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    return load_project(tmp_path / "langgraph.json")


def test_the_auth_object_is_loaded_or_start_up_says_why(tmp_path: Path) -> None:
    good = (
        "from langgraph_sdk import Auth\nauth = Auth()\n\n"
        "@auth.authenticate\nasync def who(authorization, headers):\n    return 'x'\n"
    )
    loaded = load_auth(_project(tmp_path, good, {"path": "./auth_code.py:auth"}))
    assert isinstance(loaded, Auth)
    assert load_auth(_project(tmp_path, None, None)) is None
    problems = {
        "./missing.py:auth": "not found",
        "./auth_code.py:nothing": "expected a langgraph_sdk.Auth object, found nothing",
        "no-colon": "must look like",
    }
    for path, message in problems.items():
        with pytest.raises(ConfigError, match=message):
            load_auth(_project(tmp_path, good, {"path": path}))
    no_handler = "from langgraph_sdk import Auth\nauth = Auth()\n"
    with pytest.raises(ConfigError, match=r"no @auth\.authenticate"):
        load_auth(_project(tmp_path / "x", no_handler, {"path": "./auth_code.py:auth"}))
    odd = good.replace("(authorization, headers)", "(token)")
    with pytest.raises(ConfigError, match="unsupported parameters"):
        load_auth(_project(tmp_path / "y", odd, {"path": "./auth_code.py:auth"}))
