"""The graph event loop (steadygraph.activities.graph_loop): graph code runs
apart from the caller's loop, cancellation reaches it and is waited for, the
checkpointer stays on the loop that opened it, and a blocking node is named
in the log."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import operator
import time
from pathlib import Path
from typing import Annotated, TypedDict

import pytest
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph

from steadygraph.activities.graph_loop import GraphLoop, LoopBoundCheckpointer

caller = contextvars.ContextVar("caller", default="")


async def test_the_coroutine_runs_on_the_graph_loop_with_the_callers_context() -> None:
    graph_loop = GraphLoop()
    caller.set("activity-1")

    async def where() -> tuple[asyncio.AbstractEventLoop, str]:
        return asyncio.get_running_loop(), caller.get()

    loop, seen = await graph_loop.run(where())

    assert loop is graph_loop.loop and loop is not asyncio.get_running_loop()
    assert seen == "activity-1"


async def test_cancelling_the_caller_stops_the_graph_code_before_it_returns() -> None:
    graph_loop = GraphLoop()
    started, stopped = asyncio.Event(), []

    async def node() -> None:
        try:
            graph_loop_started.set()
            await asyncio.sleep(60)
        finally:
            await asyncio.sleep(0.2)  # cleanup that takes a while
            stopped.append(True)

    graph_loop_started = _ThreadSafeFlag(started)
    waiter = asyncio.ensure_future(graph_loop.run(node()))
    await asyncio.wait_for(started.wait(), 10)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter

    assert stopped == [True]


class _ThreadSafeFlag:
    """Sets an asyncio.Event of the test's loop from the graph loop."""

    def __init__(self, event: asyncio.Event) -> None:
        self.event = event
        self.loop = asyncio.get_running_loop()

    def set(self) -> None:
        self.loop.call_soon_threadsafe(self.event.set)


class State(TypedDict, total=False):
    visited: Annotated[list[str], operator.add]


async def blocking(state: State) -> dict:
    time.sleep(1.0)  # noqa: ASYNC251 - a node that blocks its loop
    return {"visited": ["blocking"]}


async def test_a_blocking_node_leaves_the_callers_loop_free_and_is_named_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builder = StateGraph(State)
    builder.add_node("blocking", blocking)
    builder.add_edge(START, "blocking")
    builder.add_edge("blocking", END)
    graph_loop = GraphLoop(blocked_after_s=0.2)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "c.sqlite")) as saver:
        # Opened on this loop; the graph runs on the other one.
        checkpointer = LoopBoundCheckpointer(saver, asyncio.get_running_loop())
        graph = builder.compile(checkpointer=checkpointer)
        config = {"configurable": {"thread_id": "t"}}
        ticker = asyncio.ensure_future(tick())
        with caplog.at_level(logging.WARNING, logger="steadygraph.activities.graph_loop"):
            chunks = [
                chunk
                async for chunk in graph_loop.stream(
                    "blocking of run r", lambda: graph.astream({"visited": []}, config)
                )
            ]
        ticker.cancel()
        state = await graph.aget_state(config)

    assert chunks == [{"blocking": {"visited": ["blocking"]}}]
    assert state.values == {"visited": ["blocking"]}
    assert ticks > 0  # this loop went on while the node blocked the other
    warning = next(r.getMessage() for r in caplog.records if "blocking call" in r.getMessage())
    assert "node 'blocking' has held the graph event loop" in warning
    assert "blocking of run r" in warning
    assert "time.sleep(1.0)" in warning
