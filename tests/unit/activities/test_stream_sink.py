"""A step's stream sink (steadygraph.activities.stream_sink) on a real SQLite
store: a stream that ends well leaves its last events to be written with the
step's state; one that fails writes them itself, so none is lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_support import pending_run

from steadygraph.activities.stream_sink import StreamSink
from steadygraph.storage import Storage, open_storage


async def _store_with_run(tmp_path: Path) -> tuple[Storage, str]:
    storage = await open_storage(f"sqlite+aiosqlite:///{tmp_path / 'steadygraph.sqlite'}")
    return storage, await pending_run(storage)


async def test_a_stream_that_ends_well_leaves_its_last_events_to_the_caller(
    tmp_path: Path,
) -> None:
    storage, run_id = await _store_with_run(tmp_path)
    try:
        rest: list[tuple[str, bytes]] = []
        async with StreamSink.open(storage, run_id, ["values"], rest=rest) as sink:
            await sink.add((), "values", {"n": 1})
            await sink.add((), "updates", {"node": {}})  # not asked for: not kept
        assert [event for event, _ in rest] == ["values"]
        assert await storage.read_events(run_id, 0) == []
    finally:
        await storage.close()


async def test_a_stream_that_fails_writes_what_it_streamed(tmp_path: Path) -> None:
    storage, run_id = await _store_with_run(tmp_path)
    try:
        rest: list[tuple[str, bytes]] = []
        with pytest.raises(RuntimeError):
            async with StreamSink.open(storage, run_id, ["values"], rest=rest) as sink:
                await sink.add((), "values", {"n": 1})
                raise RuntimeError("the node failed")
        assert rest == []
        assert [event for _, event, _ in await storage.read_events(run_id, 0)] == ["values"]
    finally:
        await storage.close()
