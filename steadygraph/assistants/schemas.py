"""What workers published about a graph (the API runs no graph code; see
`steadygraph.assistants.graph_info`): its status, drawings and JSON schemas."""

from __future__ import annotations

from typing import Any

from steadygraph.assistants.graph_info import SCHEMAS, STATUS
from steadygraph.errors import Invalid, Unavailable
from steadygraph.services import Services

NOT_PUBLISHED = "graph info not yet published by a worker"


async def published(
    ctx: Services, graph_id: str, kind: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status document of a graph and its documents of `kind`, by key.

    Unavailable (503) until a worker has published them; Invalid (422) when
    the worker could not load the graph.
    """
    documents = await ctx.storage.assistants.get_graph_info(graph_id, [STATUS, kind])
    status = documents.get((STATUS, ""))
    if status is None:
        raise Unavailable(NOT_PUBLISHED)
    if status.get("error"):
        raise Invalid(f"Graph '{graph_id}' could not be loaded by the worker: {status['error']}")
    return status, {key: doc for (k, key), doc in documents.items() if k == kind}


async def published_schemas(ctx: Services, graph_id: str) -> dict[str, Any]:
    """`{"input_schema", "output_schema", "state_schema", ...}` of the graph."""
    _, documents = await published(ctx, graph_id, SCHEMAS)
    schemas = documents.get("")
    if schemas is None:
        raise Unavailable(NOT_PUBLISHED)
    return schemas


def input_fields(schemas: dict[str, Any]) -> set[str]:
    """Top-level fields a graph takes as input (its state's when it declares no input)."""
    schema = schemas.get("input_schema") or schemas.get("state_schema") or {}
    return set(schema.get("properties") or {})
