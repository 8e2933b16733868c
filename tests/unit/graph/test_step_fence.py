"""The step fence on LangGraph's real checkpointers (a SQLite file, a fresh
PostgreSQL database): of two attempts of one super-step, exactly one writes its
checkpoint, and a late attempt never becomes the thread's head."""

from __future__ import annotations

import asyncio
import contextlib
import operator
import sys
import time
import uuid
import zlib
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver, empty_checkpoint
from langgraph.graph import END, START, StateGraph

from steadygraph.activities.graph_loop import GraphLoop, LoopBoundCheckpointer
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.step_fence import StaleStepError, fenced_steps, open_step_fence


async def put(saver: BaseCheckpointSaver, parent: dict[str, Any]) -> dict[str, Any]:
    """A step's checkpoint on `parent` (LangGraph makes each id newer than the last)."""
    metadata: Any = {"source": "loop", "step": 1, "parents": {}}
    return await saver.aput(parent, empty_checkpoint(), metadata, {})


def head_id(config: dict[str, Any]) -> str:
    return str(config["configurable"]["checkpoint_id"])


async def test_only_a_write_on_the_head_goes_through_while_fenced(settings: Settings) -> None:
    thread_id = str(uuid.uuid4())
    root = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    async with open_checkpointer(settings) as saver, open_step_fence(settings) as fence:
        bound = LoopBoundCheckpointer(saver, asyncio.get_running_loop(), fence)
        first = await put(bound, root)
        with fenced_steps():
            second = await put(bound, first)
            # An attempt Temporal gave up on, finishing after the step was done again.
            with pytest.raises(StaleStepError):
                await put(bound, first)
            # Two attempts of the next step at once: one writes, one is refused.
            outcomes = await asyncio.gather(
                put(bound, second), put(bound, second), return_exceptions=True
            )
            written = [o for o in outcomes if isinstance(o, dict)]
            refused = [o for o in outcomes if isinstance(o, StaleStepError)]
            assert (len(written), len(refused)) == (1, 1), outcomes
            # Subgraphs' namespaces are not fenced.
            await put(bound, {"configurable": {**root["configurable"], "checkpoint_ns": "sub:1"}})
        head = await saver.aget_tuple(root)
        assert head is not None and head_id(head.config) == head_id(written[0])
        # A fork (time travel) writes beside the head, unfenced.
        fork = await put(bound, first)
        head = await saver.aget_tuple(root)
        assert head is not None and head_id(head.config) == head_id(fork)


async def test_sqlite_attempts_in_two_processes_exclude_each_other(tmp_path: Path) -> None:
    """Dev runs several worker processes on one SQLite file: a write waits while
    another process holds the thread's lock."""
    settings = Settings(data_dir=tmp_path / "data")
    thread_id = str(uuid.uuid4())
    root = {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}
    async with open_checkpointer(settings) as saver, open_step_fence(settings) as fence:
        bound = LoopBoundCheckpointer(saver, asyncio.get_running_loop(), fence)
        first = await put(bound, root)
        lock_file = Path(settings.checkpoint_url).with_suffix(".step-locks")
        slot = zlib.crc32(thread_id.encode()) % 4096
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(lock_file)!r}, os.O_RDWR)\n"
            f"fcntl.lockf(fd, fcntl.LOCK_EX, 1, {slot})\n"
            "print('held', flush=True)\n"
            "time.sleep(1.0)\n",
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert holder.stdout is not None
            assert (await holder.stdout.readline()).strip() == b"held"
            started = time.monotonic()
            with fenced_steps():
                await put(bound, first)
            assert time.monotonic() - started > 0.5
        finally:
            with contextlib.suppress(ProcessLookupError):  # it may have ended
                holder.kill()
            await holder.wait()


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]


async def test_two_attempts_of_a_step_run_by_langgraph_write_it_once(settings: Settings) -> None:
    """As the step activity runs a graph: on the graph loop, fenced from the
    activity's side. Both attempts start from the same head and run the node;
    only the first to write gets its checkpoint in, the other fails."""
    graph_loop = GraphLoop()
    entered = 0
    both_in: asyncio.Event | None = None  # made on the graph loop, where nodes run

    async def first(state: State) -> dict:
        return {"visited": ["first"]}

    async def second(state: State) -> dict:
        nonlocal entered, both_in
        entered += 1
        both_in = both_in or asyncio.Event()
        if entered == 2:  # both attempts are past their head check
            both_in.set()
        await both_in.wait()
        return {"visited": ["second"]}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    config: Any = {"configurable": {"thread_id": str(uuid.uuid4())}}
    async with open_checkpointer(settings) as saver, open_step_fence(settings) as fence:
        bound = LoopBoundCheckpointer(saver, asyncio.get_running_loop(), fence)
        graph = builder.compile(checkpointer=bound)
        await graph_loop.run(graph.ainvoke({"visited": []}, config, interrupt_after=["first"]))
        before = await saver.aget_tuple(config)
        assert before is not None

        async def attempt() -> Any:
            with fenced_steps():
                return await graph_loop.run(graph.ainvoke(None, config))

        outcomes = await asyncio.gather(attempt(), attempt(), return_exceptions=True)
        assert sorted(type(o).__name__ for o in outcomes) == ["StaleStepError", "dict"], outcomes
        head = await saver.aget_tuple(config)
        assert head is not None and head.parent_config is not None
        assert head_id(head.parent_config) == head_id(before.config)
        children = [
            c
            async for c in saver.alist(config)
            if c.parent_config and head_id(c.parent_config) == head_id(before.config)
        ]
        assert len(children) == 1
        assert head.checkpoint["channel_values"]["visited"] == ["first", "second"]


async def test_attempts_on_two_event_loops_exclude_each_other(settings: Settings) -> None:
    """A step's attempts may write from different loops of one worker (the
    graph's, the activity's): still exactly one of them writes."""
    graph_loop = GraphLoop()
    root = {"configurable": {"thread_id": str(uuid.uuid4()), "checkpoint_ns": ""}}
    async with open_checkpointer(settings) as saver, open_step_fence(settings) as fence:
        bound = LoopBoundCheckpointer(saver, asyncio.get_running_loop(), fence)
        head = await put(bound, root)
        with fenced_steps():
            for _ in range(10):
                outcomes = await asyncio.gather(
                    put(bound, head), graph_loop.run(put(bound, head)), return_exceptions=True
                )
                written = [o for o in outcomes if isinstance(o, dict)]
                refused = [o for o in outcomes if isinstance(o, StaleStepError)]
                assert (len(written), len(refused)) == (1, 1), outcomes
                head = written[0]
        latest = await saver.aget_tuple(root)
        assert latest is not None and head_id(latest.config) == head_id(head)
