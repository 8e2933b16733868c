"""Waking the API's waiters when a run changes, instead of polling storage.

On PostgreSQL every transaction that appends to a run's stream or changes its
status also sends `NOTIFY steadygraph_run, '<run id>'` (delivered at commit,
so a woken reader sees the change). Each API process holds one connection
that LISTENs, opened on first use, and fans a notification out to the
in-process waiters of that run. On SQLite, whose processes share one
machine, each commit sends the same to Unix sockets the listening processes
bind next to the database file (`local_notify`); where that is not possible,
waiters poll with a short backoff.

A waiter subscribes before it reads, so a change committed between its read
and its wait still wakes it. A notification may be lost when the listening
connection drops; waiters therefore also wake after a safety timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from steadygraph.storage.local_notify import LocalListener, notify_directory

log = logging.getLogger(__name__)

CHANNEL = "steadygraph_run"
# Cancels asked of running runs only: what a local step's watch listens to,
# so the stream events its own run writes do not wake it (and make it read).
CANCEL_CHANNEL = "steadygraph_run_cancel"
# A run's status changes only (its end, its erasure), not its stream events:
# what joins and waits listen to, so each event a run writes does not make
# them read the run again. Sent besides CHANNEL, which keeps carrying
# everything (what APIs of earlier versions listen to).
STATUS_CHANNEL = "steadygraph_run_status"
# How long a waiter sleeps while notifications are live: only a lost
# notification (a dropped listening connection) makes it matter. On SQLite
# no longer than the polling it replaces, as a process that does not send
# (an older version's) loses every notification.
_LIVE_TIMEOUT_S = 2.0
_LOCAL_LIVE_TIMEOUT_S = 0.25
_RECONNECT_S = 1.0


async def notify_run(
    conn: AsyncConnection, run_id: str, *, cancel: bool = False, status: bool = True
) -> None:
    """Within the caller's transaction: wake the API's waiters of this run at
    commit: those of its status too unless `status` is False (new stream
    events only); with `cancel`, also the watch of the step the run is in."""
    channels = [CHANNEL]
    if status:
        channels.append(STATUS_CHANNEL)
    if cancel:
        channels.append(CANCEL_CHANNEL)
    if conn.dialect.name == "postgresql":
        await conn.execute(select(*(func.pg_notify(channel, run_id) for channel in channels)))
    elif conn.dialect.name == "sqlite":
        raw = await conn.get_raw_connection()
        after_commit = getattr(raw.dbapi_connection, "notify_after_commit", None)
        if after_commit is not None:  # our driver (sqlite_driver): sent at commit
            for channel in channels:
                after_commit(channel, run_id)


class RunWatch:
    """One waiter's subscription to a run's changes."""

    def __init__(self, hub: RunChanges) -> None:
        self._hub = hub
        self._changed = asyncio.Event()

    def wake(self) -> None:
        self._changed.set()

    @property
    def live(self) -> bool:
        """Whether a change wakes this waiter at once (PostgreSQL, listener up)."""
        return self._hub.live

    async def wait(self, poll_s: float, *, live_s: float | None = None) -> None:
        """Until the run changes; at most `poll_s` while notifications are not
        live (SQLite, or the listener reconnecting), else at most `live_s`
        (None: a safety timeout)."""
        if not self.live:
            timeout = poll_s
        else:
            timeout = self._hub.live_timeout_s if live_s is None else live_s
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        self._changed.clear()


class RunChanges:
    """The process's LISTEN connection to one channel and the waiters it
    wakes, by run id."""

    def __init__(self, engine: AsyncEngine, channel: str = CHANNEL) -> None:
        self._channel = channel
        self._dsn: str | None = None
        if engine.url.get_backend_name() == "postgresql":
            self._dsn = engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
        self._directory: Path | None = None
        self.live_timeout_s = _LIVE_TIMEOUT_S
        if engine.url.get_backend_name() == "sqlite":
            self._directory = notify_directory(engine.url.database)
            self.live_timeout_s = _LOCAL_LIVE_TIMEOUT_S
        self._waiters: dict[str, set[RunWatch]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._local: LocalListener | None = None
        self._listening = asyncio.Event()

    @property
    def live(self) -> bool:
        return self._listening.is_set()

    @contextlib.asynccontextmanager
    async def watch(self, run_id: str) -> AsyncIterator[RunWatch]:
        watch = RunWatch(self)
        self._waiters.setdefault(run_id, set()).add(watch)
        if self._directory is not None and self._local is None:
            self._local = LocalListener(self._directory, self._channel, self._wake)
            if self._local.open():
                self._listening.set()
        if self._dsn is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen(self._dsn), name="run-changes")
            # The first waiter reads only once LISTEN is in force (or it failed).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), 5)
        try:
            yield watch
        finally:
            watchers = self._waiters.get(run_id)
            if watchers is not None:
                watchers.discard(watch)
                if not watchers:
                    del self._waiters[run_id]

    def _wake(self, run_id: str | None) -> None:
        if run_id is None:  # maybe missed notifications: every waiter reads again
            for watchers in self._waiters.values():
                for watch in watchers:
                    watch.wake()
            return
        for watch in self._waiters.get(run_id, ()):
            watch.wake()

    async def _listen(self, dsn: str) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {self._channel}")
                    self._listening.set()
                    self._wake(None)
                    async for notification in conn.notifies():
                        self._wake(notification.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: poll until it is back
                log.warning("run change notifications interrupted: %s", exc)
            finally:
                self._listening.clear()
            await asyncio.sleep(_RECONNECT_S)

    async def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
            self._listening.clear()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
