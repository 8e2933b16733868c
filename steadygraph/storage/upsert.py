"""INSERT … ON CONFLICT, which SQLite and PostgreSQL spell the same way but
SQLAlchemy builds from each dialect's own `insert`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(dialect_name: str, table: Table) -> Any:
    """An INSERT into `table` that can take `.on_conflict_do_nothing()` /
    `.on_conflict_do_update()` on either backend."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
