"""SQLAlchemy's aiosqlite driver, one thread hop per statement.

aiosqlite runs each SQLite call on the connection's own thread and hands the
result back to the event loop. SQLAlchemy's adapter makes four such calls for
every statement (open a cursor, execute, fetch the rows, close the cursor), and
each hop costs more CPU than a small SQLite statement itself: a `SELECT 1`
took 0.37 ms of CPU through the stock adapter and 0.07 ms in one hop
(bench/README.md, session 7). This adapter does the four in one call on the
connection's thread and keeps what SQLAlchemy reads afterwards (the rows, the
description, rowcount, lastrowid). A commit or rollback with no transaction
open makes no call at all.

Everything else (transactions, the pool, errors, terminate) is SQLAlchemy's
own aiosqlite dialect, used with this module as its DBAPI
(`create_async_engine(..., module=one_hop_dbapi())`).
"""

from __future__ import annotations

import collections
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from steadygraph.storage import local_notify

_Outcome = tuple[list[Any] | None, Any, int, int | None]


def _run_statement(
    conn: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> _Outcome:
    """On the connection's thread: the whole statement, start to finish."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else None
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement runs in one aiosqlite call. It holds
    no SQLite cursor between calls: there is nothing to open or close."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        pass  # the rows are buffered; no SQLite cursor stays open

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._run(operation, parameters, many=False))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_(self._run(operation, seq_of_parameters, many=True))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            # aiosqlite's `_execute` runs a callable on the connection's thread,
            # as its own `execute` does; the sqlite3 connection is `_conn`.
            rows, description, rowcount, lastrowid = await connection._execute(
                _run_statement, connection._conn, operation, parameters, many
            )
        self._description, self._rowcount, self._lastrowid = description, rowcount, lastrowid
        self._rows = collections.deque(rows) if rows is not None else collections.deque()


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_notices", "_notify_dir")
    _notices: list[tuple[str, str]]
    _notify_dir: Path | None
    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # a subclass; mypy reads the base as exact

    # The pool rolls back every connection it takes back, after a commit or a
    # read too, and a read's "transaction" commits nothing: where SQLite has no
    # transaction open, these end none and cost no hop to the connection's
    # thread (sqlite3 reads `in_transaction` from the connection's state; no
    # statement runs on it between SQLAlchemy's calls).

    def rollback(self) -> None:
        self._notices.clear()
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        except BaseException:
            self._notices.clear()
            raise
        if self._notices:
            notices, self._notices = self._notices, []
            if self._notify_dir is not None:
                local_notify.send(self._notify_dir, notices)

    def notify_after_commit(self, channel: str, run_id: str) -> None:
        """Send (channel, run id) to the listening processes once the
        transaction commits (nothing if it rolls back): `local_notify`."""
        self._notices.append((channel, run_id))

    def _in_transaction(self) -> bool:
        conn: sqlite3.Connection | None = self._connection._connection
        return conn is None or conn.in_transaction  # None: let aiosqlite report it closed


class _OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        connection = _OneHopConnection(self, adapted._connection)
        connection._notices = []
        database = arg[0] if arg else kw.get("database")
        uri = bool(kw.get("uri"))
        connection._notify_dir = None if uri else local_notify.notify_directory(str(database))
        return connection


def one_hop_dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    return _OneHopDbapi(aiosqlite, sqlite3)
