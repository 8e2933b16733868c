"""steadygraph.api.sse.until_set: a stream that ends when the server shuts down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
import pytest

from steadygraph.api.sse import until_set


async def _numbers(
    cleaned_up: list[str], waiting: asyncio.Event | None = None
) -> AsyncIterator[int]:
    try:
        yield 1
        yield 2
        if waiting is not None:
            waiting.set()
            await asyncio.Event().wait()  # a run that has not ended yet
    finally:
        cleaned_up.append("closed")


async def _read(
    stream: AsyncIterator[int], into: list[int], read_two: asyncio.Event | None = None
) -> None:
    async for item in stream:
        into.append(item)
        if len(into) == 2 and read_two is not None:
            read_two.set()


async def test_it_is_the_stream_when_nothing_is_set() -> None:
    cleaned_up: list[str] = []
    got: list[int] = []
    await _read(until_set(_numbers(cleaned_up), anyio.Event()), got)
    assert got == [1, 2]
    await asyncio.sleep(0)
    assert cleaned_up == ["closed"]


async def test_setting_the_event_ends_a_waiting_stream_and_closes_its_source() -> None:
    cleaned_up: list[str] = []
    got: list[int] = []
    stop, waiting, read_two = anyio.Event(), asyncio.Event(), asyncio.Event()
    stream = until_set(_numbers(cleaned_up, waiting), stop)
    reading = asyncio.create_task(_read(stream, got, read_two))
    await waiting.wait()
    await read_two.wait()
    stop.set()
    await reading  # ends by itself, no exception
    assert got == [1, 2]
    for _ in range(100):
        if cleaned_up:
            break
        await asyncio.sleep(0.01)
    assert cleaned_up == ["closed"]


async def test_a_failing_source_fails_the_stream() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise ValueError("boom")

    got: list[int] = []
    with pytest.raises(ValueError, match="boom"):
        await _read(until_set(failing(), anyio.Event()), got)
    assert got == [1]
