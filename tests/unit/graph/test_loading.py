"""Graph loading and binding (steadygraph.graph.loading) with in-process fixture projects."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.pregel import Pregel
from langgraph.store.memory import InMemoryStore

from steadygraph.config.project import ConfigError, load_project
from steadygraph.graph.loading import GraphLoadError, GraphRegistry, UnknownGraphError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
QUESTION = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}

# A tiny graph module; each fixture project gets its own copy (unique module per path).
GRAPHS_PY = textwrap.dedent(
    """
    import contextlib
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph


    class State(TypedDict):
        value: str


    def step(state: State) -> dict:
        return {"value": state["value"] + "!"}


    def build() -> StateGraph:
        builder = StateGraph(State)
        builder.add_node("step", step)
        builder.add_edge(START, "step")
        builder.add_edge("step", END)
        return builder


    compiled = build().compile()
    builder = build()
    calls = []


    def sync_factory(config):
        calls.append(config)
        config["configurable"]["mutated"] = True
        return build().compile()


    async def async_factory():
        calls.append("async")
        return build()


    @contextlib.asynccontextmanager
    async def cm_factory(config):
        calls.append("enter")
        yield build().compile()
        calls.append("exit")


    def bad_factory():
        return 42


    def two_args(config, other):
        return compiled


    from langgraph_sdk.runtime import ServerRuntime


    async def config_and_runtime(config, runtime: ServerRuntime):
        calls.append(("both", config["configurable"].get("k"), runtime))
        return compiled


    def runtime_first(runtime: "ServerRuntime[dict]", config):
        calls.append(("first", config["configurable"].get("k"), runtime))
        return compiled


    @contextlib.asynccontextmanager
    async def runtime_only(runtime: ServerRuntime):
        calls.append(("only", runtime))
        yield compiled


    def two_runtimes(a: ServerRuntime, b: ServerRuntime):
        return compiled


    class Holder:
        graph = compiled


    not_a_graph = 42
    """
)


@pytest.fixture(autouse=True)
def isolated_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """load_all() edits sys.path and os.environ; undo that after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    saved_env = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved_env)


def make_registry(root: Path, graphs: dict[str, Any], **extra: Any) -> GraphRegistry:
    (root / "graphs.py").write_text(GRAPHS_PY)
    config = {"dependencies": ["."], "graphs": graphs, **extra}
    (root / "langgraph.json").write_text(json.dumps(config))
    return GraphRegistry(load_project(root))


def graph_module(registry: GraphRegistry) -> Any:
    """The imported fixture module, to inspect what factories recorded."""
    spec = registry.spec(registry.graph_ids[0])
    return next(m for m in sys.modules.values() if getattr(m, "__file__", None) == str(spec.file))


def test_graph_error_is_a_config_error() -> None:
    assert issubclass(GraphLoadError, ConfigError)
    assert issubclass(UnknownGraphError, GraphLoadError)
    assert issubclass(UnknownGraphError, KeyError)


@pytest.mark.asyncio
async def test_compiled_graph_is_bound_without_mutating_shared_object(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:compiled"})
    registry.load_all()
    shared = graph_module(registry).compiled
    saver, store = InMemorySaver(), InMemoryStore()

    bound = await registry.get("g", {}, checkpointer=saver, store=store)

    assert isinstance(bound, Pregel)
    assert bound is not shared
    assert bound.checkpointer is saver
    assert bound.store is store
    assert bound.name == "g"  # default "LangGraph" name replaced by the graph id
    assert shared.checkpointer is None
    assert shared.store is None
    assert shared.name == "LangGraph"
    assert not registry.is_factory("g")

    config = {"configurable": {"thread_id": "t1"}}
    assert await bound.ainvoke({"value": "hi"}, config) == {"value": "hi!"}
    assert (await bound.aget_state(config)).values == {"value": "hi!"}
    assert saver.get_tuple(config) is not None


@pytest.mark.asyncio
async def test_each_get_is_an_independent_binding(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:compiled"})
    first, second = InMemorySaver(), InMemorySaver()

    a = await registry.get("g", {}, checkpointer=first)
    b = await registry.get("g", {}, checkpointer=second)

    assert (a.checkpointer, b.checkpointer) == (first, second)
    assert a.store is None  # no store given: left as compiled


@pytest.mark.asyncio
async def test_state_graph_is_compiled_once(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:builder"})
    registry.load_all()

    a = await registry.get("g", {}, checkpointer=InMemorySaver())
    b = await registry.get("g", {}, checkpointer=InMemorySaver())

    assert not registry.is_factory("g")
    assert a.nodes["step"] is b.nodes["step"]  # copies of one compilation, not two
    assert await a.ainvoke({"value": "x"}, {"configurable": {"thread_id": "t"}}) == {"value": "x!"}


@pytest.mark.asyncio
async def test_sync_factory_gets_a_copy_of_config_each_time(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:sync_factory"})
    registry.load_all()
    saver = InMemorySaver()
    config = {"configurable": {"model_name": "openai"}}

    graph = await registry.get("g", config, checkpointer=saver)
    await registry.get("g", config, checkpointer=saver)

    calls = graph_module(registry).calls
    assert registry.is_factory("g")
    assert [c["configurable"]["model_name"] for c in calls] == ["openai", "openai"]
    assert config == {"configurable": {"model_name": "openai"}}  # caller's dict untouched
    assert graph.checkpointer is saver
    result = await graph.ainvoke({"value": "f"}, {"configurable": {"thread_id": "t"}})
    assert result == {"value": "f!"}


@pytest.mark.asyncio
async def test_async_factory_without_arguments(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:async_factory"})
    saver = InMemorySaver()

    graph = await registry.get("g", None, checkpointer=saver)

    assert graph_module(registry).calls == ["async"]
    assert isinstance(graph, Pregel)  # the returned StateGraph was compiled
    assert graph.checkpointer is saver
    assert graph.name == "g"


@pytest.mark.asyncio
async def test_context_manager_factory(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:cm_factory"})
    saver = InMemorySaver()

    async with registry.open_graph("g", {}, checkpointer=saver) as graph:
        assert graph.checkpointer is saver
        assert graph_module(registry).calls == ["enter"]
    assert graph_module(registry).calls == ["enter", "exit"]

    with pytest.raises(GraphLoadError, match=r"graphs\['g'\]: .*use GraphRegistry\.open_graph"):
        await registry.get("g", {}, checkpointer=saver)


@pytest.mark.asyncio
async def test_factories_get_config_and_server_runtime_as_declared(tmp_path: Path) -> None:
    from langgraph_sdk.runtime import _ExecutionRuntime, _ReadRuntime

    registry = make_registry(
        tmp_path,
        {
            "both": "./graphs.py:config_and_runtime",
            "first": "./graphs.py:runtime_first",
            "only": "./graphs.py:runtime_only",
        },
    )
    store = InMemoryStore()
    config = {"configurable": {"k": "v"}}
    await registry.get("both", config, checkpointer=None, store=store, context={"c": 1})
    await registry.get("first", config, checkpointer=None, store=store, access="threads.read")
    async with registry.open_graph("only", config, checkpointer=None, access="assistants.read"):
        pass

    (_, k1, executing), (_, k2, reading), (_, introspecting) = graph_module(registry).calls
    assert k1 == k2 == "v"
    assert isinstance(executing, _ExecutionRuntime)
    assert executing.access_context == "threads.create_run"
    assert executing.store is store and executing.context == {"c": 1}
    assert executing.execution_runtime is executing and executing.user is None
    assert isinstance(reading, _ReadRuntime) and reading.access_context == "threads.read"
    assert reading.store is store and reading.execution_runtime is None
    assert introspecting.access_context == "assistants.read"
    assert introspecting.store is not None  # never None, as the SDK types it


@pytest.mark.asyncio
async def test_open_graph_also_serves_plain_graphs(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:compiled"})
    saver = InMemorySaver()
    async with registry.open_graph("g", {}, checkpointer=saver) as graph:
        assert graph.checkpointer is saver


@pytest.mark.asyncio
async def test_factory_returning_non_graph(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:bad_factory"})
    with pytest.raises(GraphLoadError, match=r"graphs\['g'\]: factory .* returned a int"):
        await registry.get("g", {}, checkpointer=InMemorySaver())


def test_dotted_attribute_path(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:Holder.graph"})
    registry.load_all()
    assert not registry.is_factory("g")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "./graphs.py:not_a_graph",
            r"langgraph\.json: graphs\['g'\]: attribute 'not_a_graph' of \./graphs\.py is a int, "
            r"not a LangGraph graph, StateGraph or graph factory",
        ),
        ("./graphs.py:State", r"attribute 'State' of \./graphs\.py is a .*, not a LangGraph"),
        (
            "./graphs.py:missing",
            r"graphs\['g'\]: attribute 'missing' not found in \./graphs\.py "
            r"\(graphs defined there: compiled, builder\)",
        ),
        ("./graphs.py:two_args", r"graphs\['g'\]: graph factory .* requires: config, other"),
        ("./graphs.py:two_runtimes", r"graphs\['g'\]: graph factory .* requires: a, b"),
        ("no_such_module_xyz:graph", r"graphs\['g'\]: failed to import no_such_module_xyz: "),
    ],
)
def test_load_errors_name_the_graph(tmp_path: Path, entry: str, expected: str) -> None:
    registry = make_registry(tmp_path, {"g": entry})
    with pytest.raises(GraphLoadError, match=expected):
        registry.load_all()


def test_import_error_carries_exception_text(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import definitely_not_installed_pkg\n")
    registry = make_registry(tmp_path, {"g": "./broken.py:graph"})
    with pytest.raises(GraphLoadError) as info:
        registry.load_all()
    assert str(info.value) == (
        "langgraph.json: graphs['g']: failed to import ./broken.py: "
        "ModuleNotFoundError: No module named 'definitely_not_installed_pkg'"
    )
    assert "_steadygraph_graph_broken" not in " ".join(sys.modules)  # no half-imported module


@pytest.mark.asyncio
async def test_unknown_graph_id(tmp_path: Path) -> None:
    registry = make_registry(tmp_path, {"g": "./graphs.py:compiled"})
    with pytest.raises(KeyError) as info:
        await registry.get("nope", {}, checkpointer=InMemorySaver())
    assert isinstance(info.value, GraphLoadError)
    assert str(info.value) == "langgraph.json: no graph 'nope' (declared graphs: 'g')"


def test_env_applied_without_overriding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SG_TEST_PRESET", "from-operator")
    monkeypatch.delenv("SG_TEST_NEW", raising=False)
    registry = make_registry(
        tmp_path,
        {"g": "./graphs.py:compiled"},
        env={"SG_TEST_PRESET": "from-json", "SG_TEST_NEW": "from-json"},
    )

    registry.load_all()

    assert os.environ["SG_TEST_PRESET"] == "from-operator"
    assert os.environ["SG_TEST_NEW"] == "from-json"


def test_env_visible_at_import_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SG_TEST_IMPORT", raising=False)
    (tmp_path / ".env").write_text("SG_TEST_IMPORT=seen\n")
    (tmp_path / "sg_env_helper.py").write_text("import os\nSEEN = os.environ['SG_TEST_IMPORT']\n")
    # Importing a sibling module by name also proves base_dir is on sys.path.
    (tmp_path / "envgraph.py").write_text(
        "from sg_env_helper import SEEN\nfrom langgraph.graph import StateGraph\n"
        "graph = StateGraph(dict)\ngraph.add_node('n', lambda s: {})\n"
        "graph.set_entry_point('n')\n"
    )
    registry = make_registry(tmp_path, {"g": "./envgraph.py:graph"}, env=".env")
    try:
        registry.load_all()
        assert sys.modules["sg_env_helper"].SEEN == "seen"
    finally:
        sys.modules.pop("sg_env_helper", None)


def test_dependencies_on_sys_path_for_dotted_modules(tmp_path: Path) -> None:
    package = tmp_path / "src" / "sg_fixture_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "agent.py").write_text(GRAPHS_PY)
    (tmp_path / "langgraph.json").write_text(
        json.dumps({"dependencies": ["./src"], "graphs": {"g": "sg_fixture_pkg.agent:builder"}})
    )
    registry = GraphRegistry(load_project(tmp_path))

    registry.load_all()

    assert sys.path[:2] == [str(tmp_path / "src"), str(tmp_path)]
    assert registry.graph_ids == ["g"]
    sys.modules.pop("sg_fixture_pkg.agent", None)
    sys.modules.pop("sg_fixture_pkg", None)


# --- the bundled example -------------------------------------------------------------


@pytest.fixture
def example_registry() -> GraphRegistry:
    registry = GraphRegistry(load_project(EXAMPLES))
    registry.load_all()
    return registry


@pytest.mark.asyncio
async def test_example_agent_answers_weather(example_registry: GraphRegistry) -> None:
    graph = await example_registry.get("agent", {}, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "weather"}}

    result = await graph.ainvoke(QUESTION, config)

    human, call, tool_result, answer = result["messages"]
    assert isinstance(human, HumanMessage)
    assert isinstance(call, AIMessage) and call.content == ""
    assert call.tool_calls == [
        {
            "name": "search",
            "args": {"query": "weather in sf"},
            "id": "call_weather_1",
            "type": "tool_call",
        }
    ]
    assert call.response_metadata == {"model_name": "fake-weather-model"}
    assert isinstance(tool_result, ToolMessage)
    assert tool_result.content == "It's 60 degrees and foggy in San Francisco."
    assert tool_result.tool_call_id == "call_weather_1"
    assert isinstance(answer, AIMessage)
    assert answer.content == "The weather in San Francisco is 60 degrees and foggy."
    assert answer.response_metadata == {"model_name": "fake-weather-model"}
    assert len((await graph.aget_state(config)).values["messages"]) == 4


@pytest.mark.asyncio
async def test_example_agent_sync_invoke_without_checkpointer(
    example_registry: GraphRegistry,
) -> None:
    graph = await example_registry.get("agent", {}, checkpointer=None)
    assert set(graph.nodes) == {"__start__", "agent", "tools"}
    result = graph.invoke(QUESTION)
    assert [m.type for m in result["messages"]] == ["human", "ai", "tool", "ai"]


@pytest.mark.asyncio
async def test_example_agent_streams_tokens(example_registry: GraphRegistry) -> None:
    graph = await example_registry.get("agent", {}, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "stream"}}

    events = [event async for event in graph.astream(QUESTION, config, stream_mode="messages")]

    chunks = [
        chunk
        for chunk, meta in events
        if isinstance(chunk, AIMessageChunk) and meta["langgraph_node"] == "agent"
    ]
    tool_chunk = chunks[0]
    assert tool_chunk.tool_call_chunks[0]["name"] == "search"
    assert tool_chunk.tool_call_chunks[0]["id"] == "call_weather_1"
    answer_chunks = [c for c in chunks if c.content]
    assert len(answer_chunks) > 1
    assert "".join(str(c.content) for c in answer_chunks) == (
        "The weather in San Francisco is 60 degrees and foggy."
    )


@pytest.mark.asyncio
async def test_example_agent_without_key_falls_back_to_fake(
    example_registry: GraphRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    graph = await example_registry.get("agent", {}, checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "fallback", "model_name": "anthropic"}}

    result = await graph.ainvoke(QUESTION, config)

    assert result["messages"][-1].response_metadata == {"model_name": "fake-weather-model"}
