"""`/a2a/{assistant_id}` and the agent cards: every assistant as an A2A agent.
Protocol logic lives in `steadygraph.a2a`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse, ServerSentEvent

from steadygraph.a2a.card import card_for
from steadygraph.a2a.server import Stream, handle_post
from steadygraph.api.deps import Ctx

router = APIRouter(tags=["A2A"])


async def post_a2a(ctx: Ctx, assistant_id: str, request: Request) -> Response:
    reply = await handle_post(
        ctx, assistant_id, await request.body(), request.headers.get("accept")
    )
    if isinstance(reply, Stream):
        return EventSourceResponse(_sse(reply), ping=15)
    if reply.body is None:
        return Response(status_code=reply.status)
    return JSONResponse(reply.body, status_code=reply.status)


async def _sse(stream: Stream) -> AsyncIterator[ServerSentEvent]:
    async for envelope in stream.events:
        yield ServerSentEvent(data=json.dumps(envelope, ensure_ascii=False, default=str))


async def get_card(ctx: Ctx, assistant_id: str, request: Request) -> Any:
    return await card_for(ctx, assistant_id, str(request.base_url))


async def get_card_by_query(ctx: Ctx, request: Request, assistant_id: str | None = None) -> Any:
    if not assistant_id:
        raise HTTPException(400, detail="Missing required query parameter: assistant_id")
    return await card_for(ctx, assistant_id, str(request.base_url))


async def method_not_allowed() -> Response:
    return Response(status_code=405, headers={"Allow": "GET, POST"})


for _path in ("/a2a/{assistant_id}", "/a2a/{assistant_id}/"):
    _documented = _path == "/a2a/{assistant_id}"
    router.add_api_route(_path, post_a2a, methods=["POST"], include_in_schema=_documented)
    # GET on the agent's URL answers its card, as A2A clients may ask there.
    router.add_api_route(_path, get_card, methods=["GET"], include_in_schema=False)
    router.add_api_route(_path, method_not_allowed, methods=["DELETE"], include_in_schema=False)
for _card in ("agent-card.json", "agent.json"):
    router.add_api_route(
        f"/a2a/{{assistant_id}}/.well-known/{_card}",
        get_card,
        methods=["GET"],
        include_in_schema=_card == "agent-card.json",
    )
router.add_api_route("/.well-known/agent-card.json", get_card_by_query, methods=["GET"])
