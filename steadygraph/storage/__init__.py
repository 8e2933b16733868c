"""Metadata storage: assistants, threads, runs (SQLite by default, PostgreSQL in production).

One schema (`schema.py`), one repository per aggregate (`assistants.py`,
`threads.py`, `runs.py`, `run_events.py`, `checkpoint_states.py`) behind the
`Storage` facade, one JSON filter (`json_filter.py`). Refused writes raise the
service errors of `steadygraph.errors`; reads of a missing row return None.
"""

from __future__ import annotations

from steadygraph.storage.engine import create_engine, migrate
from steadygraph.storage.facade import Storage
from steadygraph.storage.runs import ThreadBusyError
from steadygraph.storage.threads import ACTIVE_RUN_STATUSES, ThreadExistsError


async def open_storage(url: str, *, run_migrations: bool = True) -> Storage:
    engine = create_engine(url)
    if run_migrations:
        await migrate(engine)
    return Storage(engine)


__all__ = [
    "ACTIVE_RUN_STATUSES",
    "Storage",
    "ThreadBusyError",
    "ThreadExistsError",
    "open_storage",
]
