"""Server-Sent Events responses for run streams, in LangGraph Server's format:
`event: <name>`, `data: <json>`, and an `id:` per event for resumption."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

from steadygraph.api.metrics import counted_subscriber
from steadygraph.runs.results import release_temporary, run_events
from steadygraph.services import Services


def stream_response(
    ctx: Services,
    run: dict[str, Any],
    *,
    after: int | None = None,
    modes: set[str] | None = None,
    on_disconnect: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> EventSourceResponse:
    async def events() -> AsyncIterator[ServerSentEvent]:
        completed = False
        try:
            async for seq, event, data in run_events(ctx, run, after=after, modes=modes):
                yield ServerSentEvent(data=data, event=event, id=str(seq))
            completed = True
            await release_temporary(ctx, run)
        finally:
            if not completed and on_disconnect is not None:
                # The client went away mid-run (on_disconnect="cancel"): the
                # cancel must outlive this cancelled generator.
                asyncio.get_running_loop().create_task(on_disconnect())

    return EventSourceResponse(
        counted_subscriber("run", events()),
        ping=15,
        headers={"Content-Location": f"/threads/{run['thread_id']}/runs/{run['run_id']}"},
    )
