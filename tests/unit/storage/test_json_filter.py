"""The one JSON "contains" filter agrees with PostgreSQL's jsonb `@>`: the
pure-Python matcher, the SQLite clause and the PostgreSQL clause answer every
case below alike (PostgreSQL itself is the referee)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from harness import fresh_postgres_database
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from steadygraph.config.settings import to_async_url
from steadygraph.storage.json_filter import contains, contains_clause
from steadygraph.storage.schema import Json

# (document, filter, whether the document matches)
CASES: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({"a": 1}, {"a": 1}, True),
    ({"a": 1}, {"a": 1.0}, True),
    ({"a": 1.5}, {"a": 1.5}, True),
    ({"n": 10}, {"n": 1}, False),
    ({"n": 12345678901}, {"n": 12345678901}, True),
    ({"a": True}, {"a": 1}, False),
    ({"a": 1}, {"a": True}, False),
    ({"a": False}, {"a": 0}, False),
    ({"a": False}, {"a": False}, True),
    ({"a": "1"}, {"a": 1}, False),
    ({"a": 1}, {"a": "1"}, False),
    ({"a": "x"}, {"a": "X"}, False),
    ({"name": "café ☕"}, {"name": "café ☕"}, True),
    ({"a": None}, {"a": None}, True),
    ({"b": 1}, {"a": None}, False),
    ({"a": False}, {"a": None}, False),
    ({"a": 1, "b": 2}, {"a": 1, "b": 2}, True),
    ({"a": 1, "b": 2}, {"a": 1, "b": 3}, False),
    # Nested objects: containment all the way down, not equality.
    ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, True),
    ({"a": {"c": 2, "b": 1}}, {"a": {"b": 1, "c": 2}}, True),
    ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}, False),
    ({"a": {"b": {"c": [1, 2], "d": 0}}}, {"a": {"b": {"c": [2]}}}, True),
    ({"a": {"b": 1}}, {"a": {}}, True),
    ({"a": 1}, {"a": {}}, False),
    ({"a": [1]}, {"a": {}}, False),
    # Arrays: each wanted element is in the array; order and repeats do not matter.
    ({"tags": ["x", "y"]}, {"tags": ["y"]}, True),
    ({"tags": ["x", "y"]}, {"tags": ["y", "x"]}, True),
    ({"tags": ["x"]}, {"tags": ["x", "x"]}, True),
    ({"tags": ["x"]}, {"tags": ["x", "z"]}, False),
    ({"tags": ["a"]}, {"tags": []}, True),
    ({"tags": {}}, {"tags": []}, False),
    ({"a": [1, 2.0]}, {"a": [2]}, True),
    ({"a": [1, 2]}, {"a": [True]}, False),
    ({"a": ["1"]}, {"a": [1]}, False),
    ({"a": [None]}, {"a": [None]}, True),
    # A scalar is not an array holding it, and the other way round.
    ({"tags": ["x"]}, {"tags": "x"}, False),
    ({"tags": "x"}, {"tags": ["x"]}, False),
    # Arrays of containers match element by element, recursively.
    ({"items": [{"id": 1, "n": "a"}, {"id": 2}]}, {"items": [{"id": 2}]}, True),
    ({"items": [{"id": 1, "n": "a"}, {"id": 2}]}, {"items": [{"id": 1, "n": "b"}]}, False),
    ({"items": [[1, 2], 3]}, {"items": [[2]]}, True),
    ({"items": [[1, 2], 3]}, {"items": [1]}, False),
    ({"items": [[1, 2], 3]}, {"items": [3, [1]]}, True),
    # Keys are plain strings, whatever they hold.
    ({'we"ird.key[0]': 1}, {'we"ird.key[0]': 1}, True),
    ({"a.b": 1}, {"a": {"b": 1}}, False),
    ({"a": {"b": 1}}, {"a.b": 1}, False),
    ({"$": 1}, {"$": 1}, True),
    ({"": 1}, {"": 1}, True),
]

IDS = [f"{i}:{f}" for i, (_, f, _) in enumerate(CASES)]


@pytest.mark.parametrize(("document", "wanted", "expected"), CASES, ids=IDS)
def test_python_matcher(document: dict[str, Any], wanted: dict[str, Any], expected: bool) -> None:
    assert contains(document, wanted) is expected


def test_python_matcher_needs_the_same_kind_at_the_top() -> None:
    assert contains(None, {"a": 1}) is False
    assert contains([{"a": 1}], {"a": 1}) is False
    assert contains({"a": 1}, {}) is True


_table = Table(
    "json_filter_cases",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("document", Json, nullable=True),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def matches_in_sql(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Callable[[int, dict[str, Any]], Any]]:
    """(row id, filter) → whether the database finds that row with the filter."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("json_filter") / "cases.sqlite"
        async with _loaded(f"sqlite+aiosqlite:///{path}") as query:
            yield query
        return
    with fresh_postgres_database() as url:
        async with _loaded(to_async_url(url)) as query:
            yield query


class _loaded:
    def __init__(self, url: str) -> None:
        self.engine = create_async_engine(url)

    async def __aenter__(self) -> Callable[[int, dict[str, Any]], Any]:
        async with self.engine.begin() as conn:
            await conn.run_sync(_table.metadata.create_all)
            rows = [{"id": i, "document": doc} for i, (doc, _, _) in enumerate(CASES)]
            await conn.execute(insert(_table), [*rows, {"id": -1, "document": None}])
        dialect = self.engine.dialect.name

        async def query(row_id: int, wanted: dict[str, Any]) -> bool:
            clause = contains_clause(_table.c.document, wanted, dialect)
            statement = select(_table.c.id).where(_table.c.id == row_id, clause)
            async with self.engine.connect() as conn:
                return (await conn.execute(statement)).first() is not None

        return query

    async def __aexit__(self, *exc: object) -> None:
        await self.engine.dispose()


@pytest.mark.parametrize("row_id", range(len(CASES)), ids=IDS)
async def test_sql_clause(
    matches_in_sql: Callable[[int, dict[str, Any]], Any], row_id: int
) -> None:
    _, wanted, expected = CASES[row_id]
    assert await matches_in_sql(row_id, wanted) is expected


async def test_sql_null_document_matches_nothing(
    matches_in_sql: Callable[[int, dict[str, Any]], Any],
) -> None:
    assert await matches_in_sql(-1, {"a": None}) is False
    assert await matches_in_sql(-1, {}) is False
