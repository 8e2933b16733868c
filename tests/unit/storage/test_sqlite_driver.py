"""The one-hop aiosqlite adapter (steadygraph.storage.sqlite_driver) behaves as
SQLAlchemy's own: rows, rowcount, lastrowid, RETURNING, executemany, errors and
transactions, on a real SQLite file; and each statement is one aiosqlite call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import aiosqlite_calls
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from steadygraph.storage.engine import create_engine

items = Table(
    "items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as conn:
        await conn.run_sync(items.metadata.create_all)
    yield engine
    await engine.dispose()


async def test_reads_writes_and_reports_as_sqlalchemy_does(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(insert(items).values(name="a"))
        assert inserted.inserted_primary_key == (1,)  # lastrowid
        await conn.execute(insert(items), [{"name": "b"}, {"name": "c"}])  # executemany
        changed = await conn.execute(
            update(items).where(items.c.id > 1).values(name=items.c.name + "!")
        )
        assert changed.rowcount == 2
        returned = await conn.execute(
            update(items).where(items.c.id == 1).values(name="z").returning(items.c.name)
        )
        assert returned.scalar_one() == "z"
    async with engine.connect() as conn:
        rows = (await conn.execute(select(items.c.id, items.c.name).order_by(items.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "z"), (2, "b!"), (3, "c!")]
        result = await conn.execute(select(items.c.name).order_by(items.c.id))
        assert list(result.keys()) == ["name"]
        assert result.fetchone() == ("z",)
        assert result.fetchmany(5) == [("b!",), ("c!",)]
        assert (await conn.execute(select(items).where(items.c.id == 9))).first() is None


async def test_errors_roll_back_and_map_to_sqlalchemy(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(items).values(name="a"))
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="b"))
            await conn.execute(insert(items).values(name="a"))
    async with engine.connect() as conn:
        names = (await conn.execute(select(items.c.name))).scalars().all()
    assert names == ["a"]  # the failed transaction left nothing behind


async def test_a_statement_is_one_call_on_the_connection_thread(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the connection's own set-up is done
        with aiosqlite_calls() as calls:
            rows = (await conn.execute(select(items.c.name))).all()
            one = len(calls)
            await conn.execute(text("SELECT 2"))
            two = len(calls)
    assert rows == []
    assert (one, two) == (1, 2)


async def test_ending_no_transaction_costs_no_call(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # the pool's connection is set up
    with aiosqlite_calls() as calls:
        # A read opens no SQLite transaction: neither its end nor the pool's
        # rollback of the returned connection goes to the connection's thread.
        async with engine.connect() as conn:
            await conn.execute(select(items.c.name))
        read = len(calls)
        # A write: its statement, then its commit; the pool's rollback after
        # the commit has nothing to end.
        async with engine.begin() as conn:
            await conn.execute(insert(items).values(name="a"))
        written = len(calls) - read
    assert (read, written) == (1, 2)
    # An abandoned write still rolls back.
    async with engine.connect() as conn:
        await conn.execute(insert(items).values(name="b"))
    async with engine.connect() as conn:
        names = (await conn.execute(select(items.c.name))).scalars().all()
    assert names == ["a"]
