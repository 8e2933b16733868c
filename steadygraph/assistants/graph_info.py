"""What only graph code can tell about a graph, published by workers for the API.

LangGraph Server answers GET /assistants/{id}/graph, /schemas and /subgraphs by
loading the graph in the API process. Steadygraph's API runs no graph code, so
each worker, once its graphs are loaded, computes these answers for every graph
and stores them as JSON documents in the `graph_info` table; the API only reads.

Documents per graph, by (kind, key):

* ("status", "")     always written: `{"error", "graph_error", "subgraphs_error",
                     "xray_depth"}`; its absence means no worker published yet.
* ("graph", key)     the drawable graph (`get_graph(xray=...).to_json()`, node ids
                     of runnables removed as LangGraph Server does), for key
                     "false", "true" and each depth "1".."xray_depth" (deeper
                     integer xray values draw the same as "true").
* ("schemas", "")    `{"input_schema", "output_schema", "state_schema",
                     "config_schema", "context_schema"}` (each None if it cannot
                     be generated, as LangGraph Server answers).
* ("subgraphs", "")  every subgraph, recursively, in LangGraph's order:
                     `[{"namespace": "parent|child", "schemas": {...}}]`.
* ("entry", "")      `{"nodes": [...]}`: the nodes a run that applies new input
                     starts with, when the graph fixes them (plain edges from
                     START, a compiled graph, not a factory), else `{"nodes": null}`.
                     The API names a run's first step after them (see
                     `steadygraph.runs.entry_nodes`).

Factory graphs are described as built with an empty config (and a read-only
ServerRuntime for `assistants.read`); an assistant whose
config changes the graph a factory builds is still described by that one.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping
from inspect import isclass
from typing import TYPE_CHECKING, Any, Protocol

from langgraph.constants import END, START
from langgraph.store.base import BaseStore
from pydantic import BaseModel, TypeAdapter, create_model
from sqlalchemy.ext.asyncio import AsyncEngine

from steadygraph.storage.assistants import AssistantRepository

if TYPE_CHECKING:
    from steadygraph.graph.loading import GraphRegistry

log = logging.getLogger(__name__)

STATUS = "status"
GRAPH = "graph"
SCHEMAS = "schemas"
SUBGRAPHS = "subgraphs"
ENTRY = "entry"

# LangGraph's separator of nested namespaces ("parent|child").
NAMESPACE_SEPARATOR = "|"

# Keys LangGraph fills into `configurable` itself; not part of a graph's config schema.
_RUNTIME_CONFIGURABLE_KEYS = (
    "__pregel_checkpointer",
    "__pregel_store",
    "checkpoint_id",
    "checkpoint_ns",
    "thread_id",
)

SCHEMA_KEYS = ("input_schema", "output_schema", "state_schema", "config_schema", "context_schema")


def xray_key(xray: bool | int, xray_depth: int) -> str:
    """The ("graph", key) document drawing `xray` for a graph with subgraphs
    nested `xray_depth` deep."""
    if xray is True or (not isinstance(xray, bool) and xray > xray_depth):
        return "true"
    if xray is False or xray <= 0:
        return "false"
    return str(xray)


class _HasEngine(Protocol):
    engine: AsyncEngine


async def publish_graph_info(
    target: AsyncEngine | AssistantRepository | _HasEngine,
    registry: GraphRegistry,
    store: BaseStore | None = None,
) -> None:
    """Describe every graph of `registry` and store the documents, replacing
    what an earlier worker published. Never raises: a graph that cannot be
    described is stored as unavailable with the reason, and a failed write is
    logged (the API then keeps the previous documents, or answers 503)."""
    repository = _repository(target)
    for graph_id in registry.graph_ids:
        documents = await describe_graph(registry, graph_id, store)
        try:
            await repository.put_graph_info(graph_id, documents)
        except Exception:
            log.exception("could not store the graph info of graph %r", graph_id)


def _repository(target: AsyncEngine | AssistantRepository | _HasEngine) -> AssistantRepository:
    if isinstance(target, AssistantRepository):
        return target
    if isinstance(target, AsyncEngine):
        return AssistantRepository(target)
    existing = getattr(target, "assistants", None)
    if isinstance(existing, AssistantRepository):
        return existing
    return AssistantRepository(target.engine)


async def describe_graph(
    registry: GraphRegistry, graph_id: str, store: BaseStore | None = None
) -> dict[tuple[str, str], Any]:
    """All documents of one graph; the status document says what failed. A
    factory is called as LangGraph Server calls it to read schemas and draw:
    access context `assistants.read`, with the server's `store`."""
    status: dict[str, Any] = {
        "error": None,
        "graph_error": None,
        "subgraphs_error": None,
        "xray_depth": 0,
    }
    documents: dict[tuple[str, str], Any] = {}
    try:
        async with registry.open_graph(
            graph_id,
            {"configurable": {}},
            checkpointer=None,
            store=store,
            access="assistants.read",
        ) as graph:
            with warnings.catch_warnings():
                # Schema helpers of older LangGraph APIs warn on every call.
                warnings.simplefilter("ignore")
                documents = await _describe(graph, status, factory=registry.is_factory(graph_id))
    except Exception as exc:
        log.warning("graph %r could not be described: %s", graph_id, exc, exc_info=True)
        status["error"] = _reason(exc)
        documents = {}
    documents[(STATUS, "")] = status
    return {key: _json_ready(value) for key, value in documents.items()}


def static_entry_nodes(graph: Any) -> list[str] | None:
    """The nodes every run that applies new input starts with, when the graph
    fixes them: plain edges from START, no branch or joined edge from it.
    None when only running the graph can tell."""
    builder = getattr(graph, "builder", None)
    edges = getattr(builder, "edges", None)
    if edges is None or START in (getattr(builder, "branches", None) or {}):
        return None
    if any(START in starts for starts, _ in getattr(builder, "waiting_edges", ())):
        return None
    nodes = sorted({end for start, end in edges if start == START and end != END})
    stops_before = getattr(graph, "interrupt_before_nodes", None) or []
    if stops_before == "*" or "*" in stops_before or set(nodes) & set(stops_before):
        return None  # a run stops before its first step: that step prepares nothing
    return nodes or None


async def _describe(
    graph: Any, status: dict[str, Any], *, factory: bool
) -> dict[tuple[str, str], Any]:
    documents: dict[tuple[str, str], Any] = {(SCHEMAS, ""): graph_schemas(graph)}
    # A factory may build another graph per run (its config, its caller):
    # only a compiled graph's entry is known before a run.
    entry = None if factory else static_entry_nodes(graph)
    documents[(ENTRY, "")] = {"nodes": entry}
    try:
        subgraphs = list(graph.get_subgraphs(recurse=True))
        documents[(SUBGRAPHS, "")] = [
            {"namespace": namespace, "schemas": graph_schemas(subgraph)}
            for namespace, subgraph in subgraphs
        ]
        status["xray_depth"] = max(
            (namespace.count(NAMESPACE_SEPARATOR) + 1 for namespace, _ in subgraphs), default=0
        )
    except Exception as exc:
        log.warning("subgraphs of graph %r could not be listed: %s", graph.name, exc)
        status["subgraphs_error"] = _reason(exc)
    levels: list[bool | int] = [False, *range(1, status["xray_depth"] + 1), True]
    try:
        for xray in levels:
            drawn = (await graph.aget_graph(xray=xray)).to_json()
            documents[(GRAPH, xray_key(xray, status["xray_depth"]))] = _without_node_ids(drawn)
    except NotImplementedError:
        status["graph_error"] = "The graph does not support visualization"
    except Exception as exc:
        log.warning("graph %r could not be drawn: %s", graph.name, exc)
        status["graph_error"] = _reason(exc)
    if status["graph_error"]:
        documents = {key: doc for key, doc in documents.items() if key[0] != GRAPH}
    return documents


def _without_node_ids(drawn: dict[str, Any]) -> dict[str, Any]:
    # A runnable's "id" is its Python import path: an implementation detail
    # LangGraph Server leaves out of the drawing too.
    for node in drawn.get("nodes", []):
        data = node.get("data")
        if isinstance(data, dict):
            data.pop("id", None)
    return drawn


def graph_schemas(graph: Any) -> dict[str, Any]:
    """The five JSON schemas of a graph; each None when it cannot be generated."""
    makers = {
        "input_schema": lambda: graph.get_input_jsonschema(),
        "output_schema": lambda: graph.get_output_jsonschema(),
        "state_schema": lambda: state_jsonschema(graph),
        "config_schema": lambda: configurable_jsonschema(graph),
        "context_schema": lambda: context_jsonschema(graph),
    }
    schemas: dict[str, Any] = {}
    for key, make in makers.items():
        try:
            schemas[key] = make()
        except Exception as exc:
            log.info("no %s for graph %r: %s", key, getattr(graph, "name", "?"), exc)
            schemas[key] = None
    return schemas


def state_jsonschema(graph: Any) -> dict[str, Any] | None:
    """The state a client reads back: one optional property per output channel,
    typed by what the channel accepts (Any where that type has no JSON schema,
    so one odd channel does not cost the whole schema)."""
    channels = getattr(graph, "channels", None)
    if channels is None:
        return None
    fields: dict[str, Any] = {}
    for name in graph.stream_channels_list:
        annotation = getattr(channels[name], "UpdateType", Any)
        try:
            TypeAdapter(annotation).json_schema()
        except Exception:
            annotation = Any
        fields[name] = (annotation, None)
    return create_model(graph.get_name("State"), **fields).model_json_schema()


def configurable_jsonschema(graph: Any) -> dict[str, Any]:
    """The schema of `config.configurable`: since LangGraph 0.6 a graph's
    context schema, which assistants also accept as configurable. Empty for a
    graph without one, as LangGraph Server answers."""
    schema = context_jsonschema(graph)
    if not schema:
        return {}
    properties = schema.get("properties") or {}
    for key in _RUNTIME_CONFIGURABLE_KEYS:
        properties.pop(key, None)
    if "required" in schema:
        schema["required"] = [k for k in schema["required"] if k in properties]
    return schema


def context_jsonschema(graph: Any) -> dict[str, Any] | None:
    if hasattr(graph, "get_context_jsonschema"):
        return graph.get_context_jsonschema()
    context_schema = getattr(graph, "context_schema", None)
    if context_schema is None:
        return None
    if isclass(context_schema) and issubclass(context_schema, BaseModel):
        return context_schema.model_json_schema()
    return TypeAdapter(context_schema).json_schema()


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _json_ready(value: Any) -> Any:
    # Drawings may carry arbitrary node metadata; whatever JSON cannot hold is
    # stored as its text rather than failing the whole graph.
    return json.loads(json.dumps(value, default=str))


def subgraph_entries(
    published: list[Mapping[str, Any]], *, namespace: str | None, recurse: bool
) -> dict[str, Any]:
    """GET /assistants/{id}/subgraphs[/{namespace}] from the published list,
    selected as LangGraph's `get_subgraphs(namespace=..., recurse=...)` selects:
    without recurse only direct children; with a namespace only that exact one
    (a nested namespace needs recurse)."""
    selected: dict[str, Any] = {}
    for entry in published:
        name = entry["namespace"]
        nested = NAMESPACE_SEPARATOR in name
        if nested and not recurse:
            continue
        if namespace is not None and name != namespace:
            continue
        selected[name] = entry["schemas"]
    return selected
