"""Thread streams, LangGraph's v3 streaming protocol (`client.threads.stream`):
commands over HTTP, events over SSE or a WebSocket; and the thread-level
`join_stream`.

- `POST /threads/{id}/commands`: one command, its response envelope.
- `POST /threads/{id}/stream/events`: SSE of the thread's events matching the
  body's filter (`channels`, `namespaces`, `depth`, `since`).
- `WebSocket /threads/{id}/stream/events`: commands in, responses and events
  out; `subscription.subscribe` / `.unsubscribe` open and close filters.
- `GET /threads/{id}/stream`: the thread's runs as run streams, one after another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from steadygraph.api.deps import Ctx
from steadygraph.api.errors import require_uuid
from steadygraph.api.metrics import counted_subscriber
from steadygraph.api.sse import CutOnShutdown
from steadygraph.errors import NotFound
from steadygraph.graph.serde import dumps
from steadygraph.ids import new_id, parse_uuid
from steadygraph.services import Services
from steadygraph.thread_streams.commands import error, handle_command, is_command, success
from steadygraph.thread_streams.join import THREAD_STREAM_MODES, join_thread
from steadygraph.thread_streams.source import thread_events
from steadygraph.thread_streams.subscriptions import BadSubscription, Subscription
from steadygraph.threads.service import authorized_thread, readable_thread

router = APIRouter(prefix="/threads/{thread_id}", tags=["Thread Streams"])

SSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "Server-Sent Events", "content": {"text/event-stream": {}}}
}
_PING_S = 15


def _bad_request(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=400)


async def _json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


async def _matching(
    ctx: Services, thread_id: str, subscription: Subscription
) -> AsyncIterator[dict[str, Any]]:
    async for event in thread_events(ctx.storage, thread_id, since=subscription.since):
        if subscription.matches(event):
            yield event


COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The command's response envelope"}
}


@router.post("/commands", responses=COMMAND_RESPONSES)
async def thread_command(ctx: Ctx, thread_id: str, request: Request) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    payload = await _json_body(request)
    if not is_command(payload):
        command_id = payload.get("id") if isinstance(payload, dict) else None
        return JSONResponse(
            error(
                command_id,
                "invalid_argument",
                "Protocol commands must include an integer id and string method.",
            ),
            status_code=400,
        )
    await readable_thread(ctx, thread_id)
    return JSONResponse(json.loads(dumps(await handle_command(ctx, thread_id, payload))))


@router.post("/stream/events", responses=SSE)
async def thread_event_stream(ctx: Ctx, thread_id: str, request: Request) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    try:
        subscription = Subscription.parse(await _json_body(request))
    except BadSubscription as exc:
        return _bad_request(str(exc))
    await readable_thread(ctx, thread_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for event in _matching(ctx, thread_id, subscription):
            yield ServerSentEvent(
                data=dumps(event).decode(), event=event["method"], id=str(event["seq"])
            )

    return CutOnShutdown(counted_subscriber("thread", events()), ping=_PING_S)


@router.websocket("/stream/events")
async def thread_event_socket(websocket: WebSocket, thread_id: str) -> None:
    ctx: Services = websocket.app.state.context
    canonical = parse_uuid(thread_id)
    await websocket.accept()
    if canonical is None:
        await websocket.close(code=4422, reason="Invalid thread ID: must be a UUID")
        return
    try:
        await readable_thread(ctx, canonical)
    except NotFound as exc:
        await websocket.close(code=4404, reason=exc.detail)
        return
    session = _SocketSession(ctx, canonical, websocket)
    try:
        await session.serve()
    finally:
        await session.close()


class _SocketSession:
    """One WebSocket: its subscriptions, each streaming from its own reader."""

    def __init__(self, ctx: Services, thread_id: str, websocket: WebSocket) -> None:
        self._ctx = ctx
        self._thread_id = thread_id
        self._websocket = websocket
        self._send_lock = asyncio.Lock()
        self._pumps: dict[str, asyncio.Task[None]] = {}

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._websocket.send_text(dumps(message).decode())

    async def serve(self) -> None:
        while True:
            try:
                raw = await self._websocket.receive_text()
            except WebSocketDisconnect:
                return
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = None
            if not is_command(payload):
                command_id = payload.get("id") if isinstance(payload, dict) else None
                await self._send(
                    error(
                        command_id, "invalid_argument", "Commands need an integer id and a method."
                    )
                )
                continue
            await self._send(await self._command(payload))

    async def _command(self, command: dict[str, Any]) -> dict[str, Any]:
        method, params = command["method"], command.get("params") or {}
        if method == "subscription.subscribe":
            try:
                subscription = Subscription.parse(params)
            except BadSubscription as exc:
                return error(command["id"], "invalid_argument", str(exc))
            subscription_id = new_id()
            self._pumps[subscription_id] = asyncio.create_task(self._pump(subscription))
            return success(command["id"], {"subscription_id": subscription_id})
        if method == "subscription.unsubscribe":
            pump = self._pumps.pop(str(params.get("subscription_id")), None)
            if pump is None:
                return error(command["id"], "no_such_subscription", "Unknown subscription.")
            pump.cancel()
            return success(command["id"], {})
        return await handle_command(self._ctx, self._thread_id, command)

    async def _pump(self, subscription: Subscription) -> None:
        try:
            async for event in _matching(self._ctx, self._thread_id, subscription):
                await self._send(event)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the socket went away; serve() ends the session

    async def close(self) -> None:
        for pump in self._pumps.values():
            pump.cancel()
        for pump in self._pumps.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
        self._pumps.clear()


def _modes(values: list[str]) -> set[str]:
    modes = {m.strip() for value in values for m in value.split(",") if m.strip()}
    return modes or {"run_modes"}


@router.get("/stream", responses=SSE)
async def join_thread_stream(
    ctx: Ctx,
    thread_id: str,
    stream_mode: list[str] = Query(default=[]),
    stream_modes: list[str] = Query(default=[]),
    last_event_id: str | None = Header(default=None),
) -> Any:
    thread_id = require_uuid(thread_id, "thread")
    modes = _modes(stream_mode + stream_modes)
    unknown = modes - set(THREAD_STREAM_MODES)
    if unknown:
        return JSONResponse(
            {"detail": f"Invalid stream mode: {sorted(unknown)[0]}"}, status_code=422
        )
    await authorized_thread(ctx, thread_id, "read")
    since = int(last_event_id) if last_event_id and last_event_id.isdigit() else None

    async def events() -> AsyncIterator[ServerSentEvent]:
        async for seq, event, data in join_thread(ctx.storage, thread_id, modes=modes, since=since):
            yield ServerSentEvent(data=data, event=event, id=str(seq))

    return EventSourceResponse(counted_subscriber("thread", events()), ping=_PING_S)
