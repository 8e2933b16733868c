"""A graph factory taking the run's config and LangGraph Server's ServerRuntime.

It refuses anything but a real ServerRuntime with a store, and records in that
store why it was called (the access context) and the run context it saw.
"""

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore
from langgraph_sdk.runtime import ServerRuntime, _ExecutionRuntime, _ReadRuntime


class State(TypedDict, total=False):
    value: str
    tag: str


def build(tag: str) -> StateGraph:
    def step(state: State) -> dict[str, Any]:
        return {"value": state.get("value", "") + "!", "tag": tag}

    builder = StateGraph(State)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_edge("step", END)
    return builder


async def make_graph(config: RunnableConfig, runtime: ServerRuntime) -> Any:
    if not isinstance(runtime, _ExecutionRuntime | _ReadRuntime):
        raise TypeError(f"expected a ServerRuntime, got {type(runtime).__name__}")
    if not isinstance(runtime.store, BaseStore):
        raise TypeError(f"expected the server's store, got {type(runtime.store).__name__}")
    executing = runtime.execution_runtime
    await runtime.store.aput(
        ("factory_calls",),
        runtime.access_context,
        {
            "context": executing.context if executing else None,
            "tag": (config.get("configurable") or {}).get("tag"),
        },
    )
    return build((config.get("configurable") or {}).get("tag", "none"))
