"""The MCP server side of the streamable HTTP transport, stateless as
LangGraph Server's is: no session id, every POST carries one JSON-RPC message
and is answered with one JSON response (never an SSE stream).

Methods: `initialize`, `ping`, `tools/list` (one tool per assistant this
server serves) and `tools/call` (the assistant run to completion as a
stateless run: a `RunWorkflow` like any other, retried step by step and
surviving a killed worker). A run that fails is a tool error (`isError`);
malformed messages and unknown tools or methods are JSON-RPC errors.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from steadygraph import __version__, jsonrpc
from steadygraph.assistants.schemas import published_schemas
from steadygraph.auth import authorize
from steadygraph.errors import ServiceError
from steadygraph.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from steadygraph.mcp.schema import tool_input_schema, tool_name
from steadygraph.runs.request import RunCreate
from steadygraph.runs.results import final_values, wait_for_end
from steadygraph.runs.submission import submit_run
from steadygraph.services import Services

log = logging.getLogger(__name__)

# Protocol revisions reachable through `initialize`; the client's is echoed
# when known, else the newest is offered (the client may then disconnect).
PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_PROTOCOL_VERSION = PROTOCOL_VERSIONS[-1]

# Tools are listed in one page: assistants are few, and names are de-duplicated
# across the whole list (the first assistant created under a name keeps it).
MAX_TOOLS = 1000

_TOOL_ANNOTATIONS = {
    "readOnlyHint": False,
    "destructiveHint": False,
    "idempotentHint": False,
    "openWorldHint": True,
}


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: a JSON body, or none (202 for notifications)."""

    status: int
    body: dict[str, Any] | None = None


async def handle_post(ctx: Services, body: bytes, accept: str | None) -> Reply:
    try:
        message = jsonrpc.parse(body)
    except RpcError as exc:
        # The transport answers a message it cannot take with an HTTP error;
        # the body still says why, as a JSON-RPC error without an id.
        return Reply(400, jsonrpc.error(None, exc))
    if not (jsonrpc.accepts(accept, "application/json")):
        refused = RpcError(jsonrpc.INVALID_REQUEST, "Accept header must include application/json")
        return Reply(400, jsonrpc.error(message.id, refused))
    if message.kind != "request":
        return Reply(202)  # notifications and responses need no answer
    try:
        return Reply(200, jsonrpc.result(message.id, await _dispatch(ctx, message)))
    except RpcError as exc:
        return Reply(200, jsonrpc.error(message.id, exc))


async def _dispatch(ctx: Services, message: jsonrpc.Message) -> dict[str, Any]:
    if message.method == "initialize":
        return initialize_result(message.params)
    if message.method == "ping":
        return {}
    if message.method == "tools/list":
        return {"tools": [tool for _, tool in await list_tools(ctx)]}
    if message.method == "tools/call":
        return await call_tool(ctx, message.params)
    raise RpcError(METHOD_NOT_FOUND, f"Method not found: {message.method}")


def initialize_result(params: dict[str, Any]) -> dict[str, Any]:
    requested = params.get("protocolVersion")
    version = requested if requested in PROTOCOL_VERSIONS else LATEST_PROTOCOL_VERSION
    return {
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": "Steadygraph", "version": __version__},
        "instructions": (
            "Each tool runs one assistant of this Steadygraph server to completion as a "
            "durable run (a Temporal workflow) and returns the graph's output."
        ),
    }


async def _assistants(ctx: Services) -> list[tuple[str, dict[str, Any]]]:
    """Assistants under unique tool names, oldest first: those the caller may
    search (another user's assistant is not a tool of theirs)."""
    filters = await authorize("assistants", "search", {"graph_id": None, "metadata": {}})
    found = await ctx.storage.assistants.search(
        limit=MAX_TOOLS,
        sort_by="created_at",
        sort_order="asc",
        graph_ids=ctx.graph_ids,
        auth_filters=filters,
    )
    unique: dict[str, dict[str, Any]] = {}
    for assistant in found:
        name = tool_name(assistant["name"] or "")
        if not name:
            continue
        if name in unique:
            log.warning(
                "MCP: assistant %s shadowed by an older one named %r",
                assistant["assistant_id"],
                name,
            )
            continue
        unique[name] = assistant
    return list(unique.items())


async def list_tools(ctx: Services) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(assistant, MCP tool) for every assistant whose graph's schemas are
    published; the others are left out (logged) until a worker describes them."""
    tools = []
    schemas_by_graph: dict[str, dict[str, Any] | None] = {}
    for name, assistant in await _assistants(ctx):
        graph_id = assistant["graph_id"]
        if graph_id not in schemas_by_graph:
            try:
                schemas_by_graph[graph_id] = await published_schemas(ctx, graph_id)
            except ServiceError as exc:
                log.warning("MCP: graph %r left out of tools/list: %s", graph_id, exc.detail)
                schemas_by_graph[graph_id] = None
        schemas = schemas_by_graph[graph_id]
        if schemas is None:
            continue
        tool = {
            "name": name,
            "title": assistant["name"],
            "description": assistant.get("description")
            or f"Runs the '{assistant['name']}' assistant (graph '{graph_id}') to completion "
            "and returns its output.",
            # A graph whose input schema cannot be generated takes its state's fields.
            "inputSchema": tool_input_schema(
                schemas.get("input_schema") or schemas.get("state_schema")
            ),
            "annotations": _TOOL_ANNOTATIONS,
        }
        tools.append((assistant, tool))
    return tools


async def call_tool(ctx: Services, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("name")
    arguments = params.get("arguments")
    if not isinstance(name, str) or not name:
        raise RpcError(INVALID_PARAMS, "Invalid params: 'name' must be a tool name")
    if arguments is not None and not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "Invalid params: 'arguments' must be an object")
    assistant = dict(await _assistants(ctx)).get(name)
    if assistant is None:
        raise RpcError(INVALID_PARAMS, f"Unknown tool: {name}")
    body = RunCreate(
        assistant_id=assistant["assistant_id"],
        input=arguments or {},
        metadata={"mcp_tool": name},
    )
    try:
        run = await submit_run(ctx, None, body, temporary=True)
    except ServiceError as exc:
        return tool_error(exc.detail)
    ended = await wait_for_end(ctx, run["run_id"])
    meta = {"steadygraph/run_id": run["run_id"]}
    if ended is None:
        return tool_error("The run was cancelled and rolled back", meta)
    if ended["status"] == "interrupted":
        return tool_error("The run was cancelled", meta)
    output = await final_values(ctx, run)
    if isinstance(output, dict) and "__error__" in output:
        return tool_error(_error_text(output["__error__"]), meta)
    result: dict[str, Any] = {
        "content": [{"type": "text", "text": json.dumps(output, ensure_ascii=False, default=str)}],
        "isError": False,
        "_meta": meta,
    }
    if isinstance(output, dict):
        result["structuredContent"] = output
    return result


def tool_error(text: str, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}], "isError": True}
    if meta:
        result["_meta"] = meta
    return result


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("error"), error.get("message")
        if kind and message:
            return f"{kind}: {message}"
        return str(message or kind or error)
    return str(error)
