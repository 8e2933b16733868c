"""Assistants through the SDK: create/get/update/delete, versions and
set_latest, search and count, the graph drawing, schemas and subgraphs the
workers publish, and an assistant's config reaching its runs.

The session's deployment is shared with every other test, so each test tags
the assistants it makes and deletes them afterwards: other tests expect
`assistants.search()` to start with the system assistant of `agent`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from harness import Deployment, fresh_postgres_database
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
)

from steadygraph.dev.temporal_server import EmbeddedTemporal

T = TypeVar("T")

AGENT_SYSTEM_ID = "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
UNKNOWN = "5fc20631-47b7-48cd-8aa2-9f2eace9778d"
# The graphs of tests/graphs/langgraph.json, which the test deployments serve.
TEST_GRAPHS = list(
    json.loads((Path(__file__).parent.parent / "graphs" / "langgraph.json").read_text())["graphs"]
)
WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}

# Field names of SHAPES.md's "Assistant" object; a version has no updated_at.
ASSISTANT_FIELDS = {
    "assistant_id",
    "graph_id",
    "config",
    "context",
    "metadata",
    "name",
    "created_at",
    "updated_at",
    "version",
    "description",
}
VERSION_FIELDS = ASSISTANT_FIELDS - {"updated_at"}
SCHEMA_FIELDS = {"input_schema", "output_schema", "state_schema", "config_schema", "context_schema"}


def assert_assistant_shape(assistant: dict[str, Any], fields: set[str] = ASSISTANT_FIELDS) -> None:
    assert set(assistant) == fields
    assert str(uuid.UUID(assistant["assistant_id"])) == assistant["assistant_id"]
    assert isinstance(assistant["graph_id"], str)
    assert isinstance(assistant["config"], dict)
    assert isinstance(assistant["context"], dict)
    assert isinstance(assistant["metadata"], dict)
    assert isinstance(assistant["name"], str)
    assert isinstance(assistant["version"], int) and assistant["version"] >= 1
    assert assistant["description"] is None or isinstance(assistant["description"], str)
    for stamp in {"created_at", "updated_at"} & fields:
        assert datetime.fromisoformat(assistant[stamp]).utcoffset() is not None


@pytest.fixture
def client(server_url: str) -> LangGraphClient:
    return get_client(url=server_url)


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as raw:
        yield raw


@pytest.fixture
def tag() -> str:
    """Put in the metadata of a test's assistants, so searches see only them."""
    return uuid.uuid4().hex


@pytest.fixture
async def made(client: LangGraphClient) -> AsyncIterator[list[str]]:
    """Ids of assistants a test created; deleted when it ends."""
    ids: list[str] = []
    yield ids
    for assistant_id in ids:
        try:
            await client.assistants.delete(assistant_id)
        except NotFoundError:
            pass


async def create(client: LangGraphClient, made: list[str], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("graph_id", "agent")
    assistant = await client.assistants.create(**kwargs)
    made.append(assistant["assistant_id"])
    return assistant


async def once_published(call: Callable[[], Awaitable[T]], within_s: float = 30) -> T:
    """The call's answer once a worker has published graph info (503 before)."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        try:
            return await call()
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code != 503:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


# ---- shapes ---------------------------------------------------------------------


async def test_system_assistant_matches_the_reference_shape(client: LangGraphClient) -> None:
    assistant = await client.assistants.get(AGENT_SYSTEM_ID)
    assert_assistant_shape(assistant)
    assert {k: v for k, v in assistant.items() if not k.endswith("_at")} == {
        "assistant_id": AGENT_SYSTEM_ID,
        "graph_id": "agent",
        "config": {},
        "context": {},
        "metadata": {"created_by": "system"},
        "name": "agent",
        "version": 1,
        "description": None,
    }
    versions = await client.assistants.get_versions(AGENT_SYSTEM_ID)
    assert len(versions) == 1
    assert_assistant_shape(versions[0], VERSION_FIELDS)
    assert versions[0]["version"] == 1 and versions[0]["config"] == {}


async def test_created_assistant_matches_the_reference_shape(
    client: LangGraphClient, made: list[str]
) -> None:
    created = await create(
        client,
        made,
        config={"configurable": {"model_name": "m1"}},
        metadata={"k": "v"},
        name="shape",
    )
    assert_assistant_shape(created)
    assert {
        k: v for k, v in created.items() if k not in ("assistant_id", "created_at", "updated_at")
    } == {
        "graph_id": "agent",
        "config": {"configurable": {"model_name": "m1"}},
        "context": {"model_name": "m1"},
        "metadata": {"k": "v"},
        "name": "shape",
        "version": 1,
        "description": None,
    }
    assert created["created_at"] == created["updated_at"]
    assert await client.assistants.get(created["assistant_id"]) == created
    [version] = await client.assistants.get_versions(created["assistant_id"])
    assert_assistant_shape(version, VERSION_FIELDS)
    assert version == {k: v for k, v in created.items() if k != "updated_at"}


async def test_defaults_name_and_description(client: LangGraphClient, made: list[str]) -> None:
    plain = await create(client, made, graph_id="slow")
    assert plain["name"] == "Untitled"
    assert plain["config"] == {} and plain["context"] == {} and plain["metadata"] == {}
    described = await create(client, made, graph_id="slow", description="does things")
    assert described["description"] == "does things"


# ---- config and context ----------------------------------------------------------


async def test_context_mirrors_config_configurable(
    client: LangGraphClient, made: list[str]
) -> None:
    from_context = await create(client, made, context={"model_name": "ctx"})
    assert from_context["context"] == {"model_name": "ctx"}
    assert from_context["config"] == {"configurable": {"model_name": "ctx"}}

    from_config = await create(
        client, made, config={"configurable": {"model_name": "cfg"}, "tags": ["t"]}
    )
    assert from_config["context"] == {"model_name": "cfg"}
    assert from_config["config"] == {"configurable": {"model_name": "cfg"}, "tags": ["t"]}

    with pytest.raises(BadRequestError, match="Cannot specify both configurable and context"):
        await create(client, made, config={"configurable": {"a": 1}}, context={"b": 2})


async def test_assistant_config_reaches_its_runs(client: LangGraphClient, made: list[str]) -> None:
    # LangGraph records primitive configurable values in checkpoint metadata,
    # so the thread's state shows which model_name the graph was given.
    assistant = await create(client, made, config={"configurable": {"model_name": "v1-model"}})

    async def model_seen(assistant_id: str, **run: Any) -> str:
        thread = await client.threads.create()
        result = await client.runs.wait(thread["thread_id"], assistant_id, input=WEATHER, **run)
        assert result["messages"][-1]["content"].startswith("The weather in San Francisco")
        state = await client.threads.get_state(thread["thread_id"])
        return state["metadata"]["model_name"]

    assert await model_seen(assistant["assistant_id"]) == "v1-model"
    # The run's own configurable wins over the assistant's.
    assert (
        await model_seen(
            assistant["assistant_id"], config={"configurable": {"model_name": "run-model"}}
        )
        == "run-model"
    )
    await client.assistants.update(
        assistant["assistant_id"], config={"configurable": {"model_name": "v2-model"}}
    )
    assert await model_seen(assistant["assistant_id"]) == "v2-model"
    await client.assistants.set_latest(assistant["assistant_id"], 1)
    assert await model_seen(assistant["assistant_id"]) == "v1-model"

    # Context given alone becomes the configurable too.
    by_context = await create(client, made, context={"model_name": "ctx-model"})
    assert await model_seen(by_context["assistant_id"]) == "ctx-model"


# ---- create conflicts and bad input -----------------------------------------------


async def test_explicit_id_conflicts_or_returns_the_existing_one(
    client: LangGraphClient, made: list[str]
) -> None:
    assistant_id = str(uuid.uuid4())
    first = await create(client, made, assistant_id=assistant_id, name="first")
    assert first["assistant_id"] == assistant_id
    with pytest.raises(ConflictError, match=f"Assistant {assistant_id} already exists"):
        await client.assistants.create("agent", assistant_id=assistant_id, name="second")
    kept = await client.assistants.create(
        "slow", assistant_id=assistant_id, name="second", if_exists="do_nothing"
    )
    assert kept == first
    with pytest.raises(ConflictError):
        await client.assistants.create(
            "agent", assistant_id=AGENT_SYSTEM_ID, if_exists="raise", name="x"
        )


async def test_create_rejects_bad_input(http: httpx.AsyncClient, tag: str) -> None:
    response = await http.post("/assistants", json={"graph_id": "no-such-graph"})
    assert response.status_code == 404
    assert response.json()["detail"].startswith("Graph 'no-such-graph' not found")

    bad_bodies = [
        {},  # no graph_id
        {"graph_id": None},
        {"graph_id": "agent", "assistant_id": "not-a-uuid"},
        {"graph_id": "agent", "config": {"tags": "not a list"}},
        {"graph_id": "agent", "config": {"recursion_limit": "many"}},
        {"graph_id": "agent", "metadata": "not an object"},
        {"graph_id": "agent", "context": ["not", "an", "object"]},
        {"graph_id": "agent", "if_exists": "bogus"},
    ]
    for body in bad_bodies:
        body = {**body, "name": tag} if body else body
        response = await http.post("/assistants", json=body)
        assert response.status_code == 422, (body, response.text)
        assert isinstance(response.json()["detail"], str)
    response = await http.post("/assistants", json={"graph_id": "agent", "assistant_id": "nope"})
    assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}
    response = await http.post(
        "/assistants", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid JSON in request body"}
    # Nothing was stored by any of them.
    response = await http.post("/assistants/count", json={"name": tag})
    assert response.json() == 0


# ---- update, versions, set_latest -------------------------------------------------


async def test_every_update_is_a_new_version(
    client: LangGraphClient, made: list[str], tag: str
) -> None:
    v1 = await create(
        client,
        made,
        config={"configurable": {"model_name": "m1"}},
        metadata={"test": tag, "k": "v"},
        name="one",
    )
    assistant_id = v1["assistant_id"]

    v2 = await client.assistants.update(
        assistant_id, config={"configurable": {"model_name": "m2"}}, metadata={"k2": "v2"}
    )
    assert_assistant_shape(v2)
    assert v2["version"] == 2
    assert v2["config"] == {"configurable": {"model_name": "m2"}}
    assert v2["context"] == {"model_name": "m2"}
    # Metadata is merged into the current one, not replaced.
    assert v2["metadata"] == {"test": tag, "k": "v", "k2": "v2"}
    assert v2["name"] == "one" and v2["graph_id"] == "agent"
    assert v2["created_at"] == v1["created_at"]
    assert v2["updated_at"] > v1["updated_at"]

    # An update without changes still makes a version; an absent config is kept.
    v3 = await client.assistants.update(assistant_id, name="three", description="d3")
    assert (v3["version"], v3["name"], v3["description"]) == (3, "three", "d3")
    assert v3["config"] == v2["config"] and v3["context"] == v2["context"]
    v4 = await client.assistants.update(assistant_id, context={"model_name": "m4"}, graph_id="slow")
    assert v4["version"] == 4 and v4["graph_id"] == "slow"
    assert v4["config"] == {"configurable": {"model_name": "m4"}}
    assert await client.assistants.get(assistant_id) == v4

    versions = await client.assistants.get_versions(assistant_id)
    assert [v["version"] for v in versions] == [4, 3, 2, 1]
    for version in versions:
        assert_assistant_shape(version, VERSION_FIELDS)
    assert versions[3] == {k: v for k, v in v1.items() if k != "updated_at"}
    assert [v["config"]["configurable"]["model_name"] for v in versions] == [
        "m4",
        "m2",
        "m2",
        "m1",
    ]
    assert [v["version"] for v in await client.assistants.get_versions(assistant_id, limit=2)] == [
        4,
        3,
    ]
    assert [
        v["version"] for v in await client.assistants.get_versions(assistant_id, limit=2, offset=1)
    ] == [3, 2]
    assert [
        v["version"]
        for v in await client.assistants.get_versions(assistant_id, metadata={"k2": "v2"})
    ] == [4, 3, 2]
    # As LangGraph Server answers: a page without any version is a 404.
    with pytest.raises(NotFoundError):
        await client.assistants.get_versions(assistant_id, metadata={"k2": "other"})

    latest = await client.assistants.set_latest(assistant_id, 1)
    assert_assistant_shape(latest)
    assert latest["version"] == 1
    assert latest["config"] == v1["config"]
    assert latest["metadata"] == v1["metadata"]
    assert latest["name"] == "one" and latest["description"] is None
    # LangGraph Server's quirk, kept for compatibility: context and graph_id
    # are not taken back to the version's.
    assert latest["context"] == {"model_name": "m4"}
    assert latest["graph_id"] == "slow"
    assert await client.assistants.get(assistant_id) == latest
    # Versions are history: choosing one adds none, and the next update is 5.
    assert len(await client.assistants.get_versions(assistant_id)) == 4
    v5 = await client.assistants.update(assistant_id, metadata={"k5": "v5"})
    assert v5["version"] == 5
    assert v5["config"] == v1["config"] and v5["metadata"] == {**v1["metadata"], "k5": "v5"}
    assert (await client.assistants.set_latest(assistant_id, 4))["version"] == 4

    with pytest.raises(NotFoundError, match=f"Version 99 not found for assistant {assistant_id}"):
        await client.assistants.set_latest(assistant_id, 99)


async def test_update_versions_and_latest_reject_bad_input(
    client: LangGraphClient, http: httpx.AsyncClient, made: list[str]
) -> None:
    with pytest.raises(NotFoundError, match=f"Assistant {UNKNOWN} not found"):
        await client.assistants.update(UNKNOWN, name="x")
    with pytest.raises(NotFoundError, match=f"Assistant {UNKNOWN} not found"):
        await client.assistants.get_versions(UNKNOWN)
    with pytest.raises(NotFoundError, match=f"Assistant {UNKNOWN} not found"):
        await client.assistants.set_latest(UNKNOWN, 1)

    assistant = await create(client, made)
    path = f"/assistants/{assistant['assistant_id']}"
    with pytest.raises(NotFoundError, match="Graph 'no-such-graph' not found"):
        await client.assistants.update(assistant["assistant_id"], graph_id="no-such-graph")
    for method, suffix, body in [
        ("PATCH", "", {"config": {"tags": 5}}),
        ("PATCH", "", {"metadata": []}),
        ("POST", "/latest", {}),
        ("POST", "/latest", {"version": "latest"}),
        ("POST", "/versions", {"limit": 0}),
        ("POST", "/versions", {"offset": -1}),
    ]:
        response = await http.request(method, path + suffix, json=body)
        assert response.status_code == 422, (method, suffix, body, response.text)
    for method, suffix in [
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/versions"),
        ("POST", "/latest"),
        ("GET", "/schemas"),
        ("GET", "/subgraphs"),
        ("GET", "/graph"),
    ]:
        response = await http.request(method, f"/assistants/not-a-uuid{suffix}", json={})
        assert response.status_code == 422, (method, suffix, response.text)
        assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}
    # None of the refused requests made a version.
    assert len(await client.assistants.get_versions(assistant["assistant_id"])) == 1


# ---- delete ---------------------------------------------------------------------------


async def test_delete_removes_the_assistant_and_its_versions(
    client: LangGraphClient, made: list[str]
) -> None:
    assistant = await create(client, made)
    await client.assistants.update(assistant["assistant_id"], name="v2")
    assert await client.assistants.delete(assistant["assistant_id"]) is None
    with pytest.raises(NotFoundError, match="Not Found"):
        await client.assistants.get(assistant["assistant_id"])
    with pytest.raises(NotFoundError):
        await client.assistants.get_versions(assistant["assistant_id"])
    with pytest.raises(
        NotFoundError, match=f"Assistant with ID {assistant['assistant_id']} not found"
    ):
        await client.assistants.delete(assistant["assistant_id"])
    # The same id can be used again, from version 1.
    again = await create(client, made, assistant_id=assistant["assistant_id"])
    assert again["version"] == 1
    assert len(await client.assistants.get_versions(again["assistant_id"])) == 1


async def test_delete_with_threads_deletes_the_threads_it_ran_on(
    client: LangGraphClient, made: list[str]
) -> None:
    assistant = await create(client, made)
    mine = await client.threads.create()
    await client.runs.wait(mine["thread_id"], assistant["assistant_id"], input=WEATHER)
    other = await client.threads.create()
    await client.runs.wait(other["thread_id"], "agent", input=WEATHER)

    await client.assistants.delete(assistant["assistant_id"], delete_threads=True)
    with pytest.raises(NotFoundError):
        await client.threads.get(mine["thread_id"])
    assert (await client.threads.get(other["thread_id"]))["status"] == "idle"


# ---- search and count -------------------------------------------------------------


async def test_search_filters_sorts_selects_and_pages(
    client: LangGraphClient, made: list[str], tag: str
) -> None:
    alpha = await create(
        client, made, name=f"alpha-{tag}", metadata={"test": tag, "n": {"x": 1, "y": 2}}
    )
    beta = await create(
        client, made, graph_id="slow", name=f"Beta-{tag}", metadata={"test": tag, "odd": True}
    )
    gamma = await create(
        client, made, name=f"gamma-{tag}", metadata={"test": tag, "odd": False, "n": {"x": 2}}
    )
    mine = {"test": tag}

    def names(found: list[dict[str, Any]]) -> list[str]:
        return [a["name"].split("-")[0] for a in found]

    found = await client.assistants.search(metadata=mine)
    assert names(found) == ["gamma", "Beta", "alpha"]  # newest first
    for assistant in found:
        assert_assistant_shape(assistant)
    assert found[2] == alpha

    assert names(await client.assistants.search(metadata=mine, sort_by="name")) == [
        "gamma",
        "Beta",
        "alpha",
    ]
    # Names sort without regard to case.
    assert names(
        await client.assistants.search(metadata=mine, sort_by="name", sort_order="asc")
    ) == ["alpha", "Beta", "gamma"]
    assert names(
        await client.assistants.search(metadata=mine, sort_by="created_at", sort_order="asc")
    ) == ["alpha", "Beta", "gamma"]
    by_graph = await client.assistants.search(metadata=mine, sort_by="graph_id", sort_order="asc")
    assert [a["graph_id"] for a in by_graph] == ["agent", "agent", "slow"]

    assert names(await client.assistants.search(metadata=mine, graph_id="slow")) == ["Beta"]
    assert names(await client.assistants.search(name=f"BETA-{tag.upper()}")) == ["Beta"]
    assert names(await client.assistants.search(name=tag, graph_id="agent")) == ["gamma", "alpha"]
    assert names(await client.assistants.search(metadata={**mine, "odd": True})) == ["Beta"]
    assert names(await client.assistants.search(metadata={**mine, "odd": False})) == ["gamma"]
    assert names(await client.assistants.search(metadata={**mine, "n": {"x": 1}})) == ["alpha"]
    assert await client.assistants.search(metadata={**mine, "n": {"x": 3}}) == []

    selected = await client.assistants.search(metadata=mine, select=["assistant_id", "name"])
    assert selected == [{"assistant_id": a["assistant_id"], "name": a["name"]} for a in found]

    page1 = await client.assistants.search(metadata=mine, limit=2, response_format="object")
    assert names(page1["assistants"]) == ["gamma", "Beta"] and page1["next"] == "2"
    page2 = await client.assistants.search(
        metadata=mine, limit=2, offset=2, response_format="object"
    )
    assert names(page2["assistants"]) == ["alpha"] and page2["next"] is None
    assert await client.assistants.search(metadata=mine, offset=3) == []

    assert await client.assistants.count(metadata=mine) == 3
    assert await client.assistants.count(metadata=mine, graph_id="agent") == 2
    assert await client.assistants.count(name=f"gamma-{tag}") == 1
    assert await client.assistants.count(metadata={**mine, "n": {"y": 2}}) == 1
    system = await client.assistants.search(metadata={"created_by": "system"}, limit=100)
    assert sorted(a["graph_id"] for a in system) == sorted(TEST_GRAPHS)
    assert await client.assistants.count(metadata={"created_by": "system"}) == len(TEST_GRAPHS)
    assert gamma["assistant_id"] in {a["assistant_id"] for a in await client.assistants.search()}
    assert beta["graph_id"] == "slow"


async def test_metadata_filters_are_json_containment(
    client: LangGraphClient, made: list[str], tag: str
) -> None:
    """As LangGraph Server's jsonb `@>`: arrays contain elements, `true` is not `1`."""
    both = await create(client, made, name="both", metadata={"test": tag, "tags": ["a", "b"]})
    await create(client, made, name="one", metadata={"test": tag, "tags": ["b"], "n": 1})
    await create(client, made, name="flag", metadata={"test": tag, "tags": "a", "n": True})

    async def names(metadata: dict[str, Any]) -> set[str]:
        found = await client.assistants.search(metadata={"test": tag, **metadata})
        assert await client.assistants.count(metadata={"test": tag, **metadata}) == len(found)
        return {a["name"] for a in found}

    assert await names({"tags": ["b"]}) == {"both", "one"}
    assert await names({"tags": ["b", "a"]}) == {"both"}
    assert await names({"tags": "a"}) == {"flag"}
    assert await names({"n": 1}) == {"one"}
    assert await names({"n": True}) == {"flag"}

    await client.assistants.update(both["assistant_id"], metadata={"tags": ["c"]})
    versions = await client.assistants.get_versions(both["assistant_id"], metadata={"tags": ["a"]})
    assert [v["version"] for v in versions] == [1]


async def test_search_and_count_reject_bad_input(http: httpx.AsyncClient) -> None:
    for path in ("/assistants/search", "/assistants/count"):
        response = await http.post(path, json={"graph_id": "no-such-graph"})
        assert response.status_code == 404
        assert response.json()["detail"].startswith("Graph 'no-such-graph' not found")
        response = await http.post(path, json={"metadata": "nope"})
        assert response.status_code == 422
    for body in (
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"sort_by": "bogus"},
        {"sort_order": "sideways"},
        {"select": ["bogus"]},
    ):
        response = await http.post("/assistants/search", json=body)
        assert response.status_code == 422, (body, response.text)
    # The SDK always sends a body; plain HTTP may not.
    response = await http.post("/assistants/search")
    assert response.status_code == 200 and response.json()[0]["assistant_id"]
    assert (await http.post("/assistants/count")).json() >= len(TEST_GRAPHS)


# ---- graph, schemas, subgraphs (published by the worker) --------------------------------


async def test_graph_drawing(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    drawing = await once_published(lambda: client.assistants.get_graph("agent"))
    assert set(drawing) == {"nodes", "edges"}
    assert {n["id"] for n in drawing["nodes"]} == {"__start__", "agent", "tools", "__end__"}
    assert {"source": "__start__", "target": "agent"} in drawing["edges"]
    assert {"source": "tools", "target": "agent"} in drawing["edges"]
    # Runnables' import paths are left out, as LangGraph Server leaves them out.
    assert all("id" not in (n.get("data") or {}) for n in drawing["nodes"])
    assert await client.assistants.get_graph(AGENT_SYSTEM_ID) == drawing

    flat = await client.assistants.get_graph("nested")
    assert {n["id"] for n in flat["nodes"]} == {"__start__", "before", "child", "__end__"}
    expanded = await client.assistants.get_graph("nested", xray=True)
    assert {n["id"] for n in expanded["nodes"]} == {"__start__", "before", "child:inner", "__end__"}
    assert await client.assistants.get_graph("nested", xray=1) == expanded
    assert await client.assistants.get_graph("nested", xray=5) == expanded

    for xray in ("0", "-1", "bogus"):
        response = await http.get("/assistants/nested/graph", params={"xray": xray})
        assert response.status_code == 422
        assert response.json() == {"detail": "Invalid xray value"}
    with pytest.raises(NotFoundError):
        await client.assistants.get_graph(UNKNOWN)
    response = await http.get("/assistants/no-such-graph/graph")
    assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}


async def test_schemas(client: LangGraphClient, made: list[str]) -> None:
    schemas = await once_published(lambda: client.assistants.get_schemas(AGENT_SYSTEM_ID))
    assert set(schemas) == {"graph_id", *SCHEMA_FIELDS}
    assert schemas["graph_id"] == "agent"
    assert "messages" in schemas["input_schema"]["properties"]
    assert "messages" in schemas["output_schema"]["properties"]
    assert list(schemas["state_schema"]["properties"]) == ["messages"]
    assert schemas["config_schema"] == {}
    assert schemas["context_schema"] is None

    # A created assistant is answered for by its graph.
    slow = await create(client, made, graph_id="slow")
    slow_schemas = await client.assistants.get_schemas(slow["assistant_id"])
    assert slow_schemas["graph_id"] == "slow"
    # Properties keep their declared order.
    assert list(slow_schemas["state_schema"]["properties"]) == ["visited", "marker_file", "sleep_s"]
    assert slow_schemas["state_schema"]["properties"]["visited"]["type"] == "array"
    with pytest.raises(NotFoundError):
        await client.assistants.get_schemas(UNKNOWN)


async def test_subgraphs(client: LangGraphClient) -> None:
    nested = (await client.assistants.search(graph_id="nested"))[0]["assistant_id"]
    subgraphs = await once_published(lambda: client.assistants.get_subgraphs(nested))
    assert list(subgraphs) == ["child"]
    assert set(subgraphs["child"]) == SCHEMA_FIELDS
    assert list(subgraphs["child"]["state_schema"]["properties"]) == ["visited"]
    assert await client.assistants.get_subgraphs(nested, recurse=True) == subgraphs
    assert await client.assistants.get_subgraphs(nested, namespace="child") == subgraphs
    assert await client.assistants.get_subgraphs(nested, namespace="nope") == {}
    assert await client.assistants.get_subgraphs(AGENT_SYSTEM_ID) == {}
    with pytest.raises(NotFoundError):
        await client.assistants.get_subgraphs(UNKNOWN)


# ---- a deployment of its own: before any worker, and system assistants ------------------


@contextmanager
def own_database(database_url: str | None) -> Iterator[dict[str, str]]:
    """Environment for a deployment on a database no other test uses."""
    if database_url is None:
        yield {}
        return
    with fresh_postgres_database() as url:
        yield {"STEADYGRAPH_DATABASE_URL": url}


async def test_graph_info_waits_for_a_worker_and_system_assistants_come_back(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    with own_database(database_url) as env:
        deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env)
        try:
            deployment.start_api()  # no worker yet: nothing published
            client = get_client(url=deployment.url)
            for call in (
                client.assistants.get_schemas(AGENT_SYSTEM_ID),
                client.assistants.get_graph("agent"),
                client.assistants.get_subgraphs(AGENT_SYSTEM_ID),
            ):
                with pytest.raises(httpx.HTTPStatusError) as raised:
                    await call
                assert raised.value.response.status_code == 503
                assert raised.value.response.json() == {
                    "detail": "graph info not yet published by a worker"
                }

            deployment.start_worker()
            schemas = await once_published(lambda: client.assistants.get_schemas(AGENT_SYSTEM_ID))
            assert schemas["graph_id"] == "agent"

            # A system assistant can be deleted (and updated) like any other...
            await client.assistants.update(AGENT_SYSTEM_ID, metadata={"changed": True})
            await client.assistants.delete(AGENT_SYSTEM_ID)
            with pytest.raises(NotFoundError):
                await client.assistants.get(AGENT_SYSTEM_ID)
            assert await client.assistants.count(metadata={"created_by": "system"}) == (
                len(TEST_GRAPHS) - 1
            )

            # ...and the next start of the server creates it again, as new.
            assert deployment.api is not None
            deployment.stop()
            deployment.start_api()
            restored = await client.assistants.get(AGENT_SYSTEM_ID)
            assert restored["metadata"] == {"created_by": "system"}
            assert restored["version"] == 1 and restored["config"] == {}
            assert len(await client.assistants.get_versions(AGENT_SYSTEM_ID)) == 1
            assert (await client.assistants.search())[0]["assistant_id"] == AGENT_SYSTEM_ID
        finally:
            deployment.stop()
