"""`/mcp`: every assistant as an MCP tool (streamable HTTP transport, stateless).
Protocol logic lives in `steadygraph.mcp.server`."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from steadygraph.api.deps import Ctx
from steadygraph.mcp.server import handle_post

router = APIRouter(tags=["MCP"])

_PATHS = ("/mcp", "/mcp/")


async def post_mcp(ctx: Ctx, request: Request) -> Response:
    reply = await handle_post(ctx, await request.body(), request.headers.get("accept"))
    if reply.body is None:
        return Response(status_code=reply.status)
    return JSONResponse(reply.body, status_code=reply.status)


async def get_mcp() -> Response:
    # No server-initiated stream: a stateless server has nothing to push.
    return Response(status_code=405, headers={"Allow": "POST, DELETE"})


async def delete_mcp() -> Response:
    # Stateless: there is never a session to terminate.
    return Response(status_code=404)


for _path in _PATHS:
    _documented = _path == "/mcp/"  # the path LangGraph Server's OpenAPI names
    router.add_api_route(_path, post_mcp, methods=["POST"], include_in_schema=_documented)
    router.add_api_route(_path, get_mcp, methods=["GET"], include_in_schema=_documented)
    router.add_api_route(_path, delete_mcp, methods=["DELETE"], include_in_schema=_documented)
