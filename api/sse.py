"""Server-Sent Events responses for run streams, in LangGraph Server's format:
`event: <name>`, `data: <json>`, and an `id:` per event for resumption."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

from steadygraph.api.metrics import counted_subscriber
from steadygraph.runs.results import release_temporary, run_events
from steadygraph.services import Services

T = TypeVar("T")
_END = object()
# How long a stream has, once the server shuts down, to end by itself before
# sse-starlette cuts it (it ends as soon as the next event is not ready).
_SHUTDOWN_GRACE_S = 5.0


def event_stream(
    content: AsyncIterator[Any], shutdown: anyio.Event | None = None, **options: Any
) -> EventSourceResponse:
    """An SSE response that ends cleanly when the server shuts down (SIGTERM), a
    complete response rather than a connection cut mid-body. `shutdown` is set
    when that happens."""
    shutdown = shutdown or anyio.Event()
    return EventSourceResponse(
        until_set(content, shutdown),
        shutdown_event=shutdown,
        shutdown_grace_period=_SHUTDOWN_GRACE_S,
        **options,
    )


async def until_set(events: AsyncIterator[T], stop: anyio.Event) -> AsyncIterator[T]:
    """`events` until `stop` is set, then the end. `events` is read by one task
    of its own (its clean-up runs there), one item ahead at most."""
    items: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)

    async def pump() -> None:
        try:
            async for item in events:
                await items.put(item)
            await items.put(_END)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # handed to the reader, which raises it
            await items.put(exc)
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    reader = asyncio.ensure_future(pump())
    stopped = asyncio.ensure_future(stop.wait())
    following: asyncio.Future[Any] | None = None
    try:
        while True:
            following = asyncio.ensure_future(items.get())
            await asyncio.wait({following, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                return
            item = following.result()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopped.cancel()
        if following is not None:
            following.cancel()
        # Not awaited: a cancelled response (the client left) may not await
        # again; the reader's own clean-up runs in its task.
        reader.cancel()
        reader.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Future[Any]) -> None:
    # Its failure, if any, was handed to the reader (or nobody is left to tell).
    with contextlib.suppress(asyncio.CancelledError, Exception):
        task.exception()


def stream_response(
    ctx: Services,
    run: dict[str, Any],
    *,
    after: int | None = None,
    modes: set[str] | None = None,
    on_disconnect: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> EventSourceResponse:
    shutdown = anyio.Event()

    async def events() -> AsyncIterator[ServerSentEvent]:
        completed = False
        try:
            async for seq, event, data in run_events(ctx, run, after=after, modes=modes):
                yield ServerSentEvent(data=data, event=event, id=str(seq))
            completed = True
            await release_temporary(ctx, run)
        finally:
            if not completed and on_disconnect is not None and not shutdown.is_set():
                # The client went away mid-run (on_disconnect="cancel"): the
                # cancel must outlive this cancelled generator. A server that
                # shuts down is not a client leaving: the run goes on.
                asyncio.get_running_loop().create_task(on_disconnect())

    run_path = f"/threads/{run['thread_id']}/runs/{run['run_id']}"
    return event_stream(
        counted_subscriber("run", events()),
        shutdown,
        ping=15,
        headers={
            "Content-Location": run_path,
            # Where to resume: a stream that ends (or drops) before the run has
            # ended is rejoined by the SDK there, with the Last-Event-ID it saw,
            # so a client behind a load balancer moves to another API replica
            # when this one shuts down.
            "Location": f"{run_path}/stream",
        },
    )


class _CutStreams(logging.Filter):
    """Drops uvicorn's complaint about a response left incomplete, for the
    streams `CutOnShutdown` leaves so on purpose (one line each)."""

    pending = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if _CutStreams.pending and record.getMessage().startswith(
            "ASGI callable returned without completing response"
        ):
            _CutStreams.pending -= 1
            return False
        return True


_cut_streams = _CutStreams()


class CutOnShutdown(EventSourceResponse):
    """An SSE response that, when the server shuts down, drops the connection
    instead of ending the body. The SDK's thread streams (`threads.stream`)
    read a complete response as the stream being over for good (the run's
    output fails: "lifecycle stream ended before terminal event") and a dropped
    connection as a cue to reconnect from the last event id, to this server's
    successor or another replica."""

    def __init__(self, content: AsyncIterator[Any], **options: Any) -> None:
        self._shutdown = anyio.Event()
        super().__init__(content, shutdown_event=self._shutdown, **options)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def send_unless_final(message: Any) -> None:
            final = message["type"] == "http.response.body" and not message.get("more_body")
            if final and self._shutdown.is_set():
                # Never completed: uvicorn closes the connection mid-body.
                _CutStreams.pending += 1
                return
            await send(message)

        await super().__call__(scope, receive, send_unless_final)


logging.getLogger("uvicorn.error").addFilter(_cut_streams)
