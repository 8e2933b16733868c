"""The long-term memory store (`client.store`) against a real API + worker +
Temporal server, on SQLite and on PostgreSQL: items, search (with semantic
search through the deterministic hashing embedding), namespaces, TTLs, bad
input, and graph nodes that read and write the very same store."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import ROOT, Deployment, fresh_postgres_database
from langgraph_sdk import get_client
from langgraph_sdk._async.store import StoreClient

from steadygraph.config.project import ConfigError, load_project
from steadygraph.config.settings import Settings
from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.graph.store import open_store

GRAPHS_DIR = ROOT / "tests" / "graphs"
STORE_CONFIG = GRAPHS_DIR / "store_langgraph.json"
ITEM_KEYS = {"namespace", "key", "value", "created_at", "updated_at"}


@dataclass
class StoreServer:
    url: str
    # False on a PostgreSQL server without pgvector: semantic search cannot be
    # configured there, so that deployment runs without `store.index`.
    semantic: bool

    @property
    def store(self) -> StoreClient:
        return get_client(url=self.url).store


def _has_pgvector(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        ).fetchone()
    return bool(row and row[0])


def _config_without_index(folder: Path) -> Path:
    """STORE_CONFIG minus `store.index`, written elsewhere with absolute paths."""
    raw = json.loads(STORE_CONFIG.read_text())
    raw["store"].pop("index")
    raw["dependencies"] = [str(GRAPHS_DIR)]
    for graph_id, entry in raw["graphs"].items():
        path, _, attr = entry.rpartition(":")
        raw["graphs"][graph_id] = f"{(GRAPHS_DIR / path).resolve()}:{attr}"
    target = folder / "store_langgraph.json"
    target.write_text(json.dumps(raw))
    return target


@pytest.fixture(scope="module")
def store_server(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[StoreServer]:
    data_dir = tmp_path_factory.mktemp("store")
    config, env, semantic = STORE_CONFIG, {}, True
    with ExitStack() as stack:
        if database_url:
            # A database of its own: the session deployment's assistants and
            # store must not see this project's graphs and items.
            url = stack.enter_context(fresh_postgres_database())
            env["STEADYGRAPH_DATABASE_URL"] = url
            if not _has_pgvector(url):
                config, semantic = _config_without_index(data_dir), False
        deployment = Deployment(temporal_server.address, data_dir, config=config, extra_env=env)
        stack.callback(deployment.stop)
        deployment.start()
        yield StoreServer(deployment.url, semantic)


@pytest.fixture
def root() -> str:
    """A namespace root label of the test's own, so tests never see each other's items."""
    return f"t{uuid.uuid4().hex[:12]}"


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


async def test_put_get_delete_round_trip(store_server: StoreServer, root: str) -> None:
    store = store_server.store
    assert await store.put_item([root, "shape"], "k", {"a": 1}) is None

    item = await store.get_item([root, "shape"], "k")
    assert set(item) == ITEM_KEYS
    assert item["namespace"] == [root, "shape"]
    assert item["key"] == "k"
    assert item["value"] == {"a": 1}
    created = _timestamp(item["created_at"])

    await store.put_item([root, "shape"], "k", {"a": 2, "nested": {"list": [1, "x", None]}})
    updated = await store.get_item([root, "shape"], "k")
    assert updated["value"] == {"a": 2, "nested": {"list": [1, "x", None]}}
    assert _timestamp(updated["updated_at"]) >= created

    assert await store.delete_item([root, "shape"], "k") is None
    assert await store.get_item([root, "shape"], "k") is None
    # Deleting what is not there is not an error.
    await store.delete_item([root, "shape"], "k")


async def test_wire_format_as_langgraph_server(store_server: StoreServer, root: str) -> None:
    async with httpx.AsyncClient(base_url=store_server.url, timeout=10) as http:
        put = await http.put(
            "/store/items", json={"namespace": [root], "key": "k", "value": {"v": True}}
        )
        assert (put.status_code, put.content) == (204, b"")
        got = await http.get("/store/items", params={"namespace": root, "key": "k"})
        assert got.status_code == 200 and got.json()["value"] == {"v": True}
        deleted = await http.request(
            "DELETE", "/store/items", json={"namespace": [root], "key": "k"}
        )
        assert (deleted.status_code, deleted.content) == (204, b"")
        missing = await http.get("/store/items", params={"namespace": root, "key": "k"})
        assert (missing.status_code, missing.json()) == (200, None)


async def test_search_by_namespace_prefix_and_filter(store_server: StoreServer, root: str) -> None:
    store = store_server.store
    await store.put_item([root, "a"], "red", {"color": "red", "size": 1})
    await store.put_item([root, "a"], "blue", {"color": "blue", "size": 5})
    await store.put_item([root, "a", "deep"], "green", {"color": "green", "size": 9})
    await store.put_item([root, "b"], "red", {"color": "red", "size": 3})

    everything = (await store.search_items([root]))["items"]
    assert sorted((tuple(i["namespace"]), i["key"]) for i in everything) == [
        ((root, "a"), "blue"),
        ((root, "a"), "red"),
        ((root, "a", "deep"), "green"),
        ((root, "b"), "red"),
    ]
    assert all(set(i) == ITEM_KEYS | {"score"} and i["score"] is None for i in everything)

    under_a = (await store.search_items([root, "a"]))["items"]
    assert sorted(i["key"] for i in under_a) == ["blue", "green", "red"]

    red = (await store.search_items([root], filter={"color": "red"}))["items"]
    assert sorted(i["namespace"][-1] for i in red) == ["a", "b"]

    # Single digits: LangGraph's Postgres store compares $gt/$lt operands as text.
    big = (await store.search_items([root], filter={"size": {"$gt": 4}}))["items"]
    assert sorted(i["key"] for i in big) == ["blue", "green"]

    assert (await store.search_items([root, "nothing-here"]))["items"] == []


async def test_search_limit_and_offset(store_server: StoreServer, root: str) -> None:
    store = store_server.store
    for n in range(5):
        await store.put_item([root], f"k{n}", {"n": n})
    pages = [
        (await store.search_items([root], limit=2, offset=offset))["items"] for offset in (0, 2, 4)
    ]
    assert [len(page) for page in pages] == [2, 2, 1]
    keys = [item["key"] for page in pages for item in page]
    assert sorted(keys) == [f"k{n}" for n in range(5)]
    assert len((await store.search_items([root]))["items"]) == 5
    assert (await store.search_items([root], offset=5))["items"] == []


async def test_list_namespaces_with_prefix_suffix_and_depth(
    store_server: StoreServer, root: str
) -> None:
    store = store_server.store
    await store.put_item([root, "users", "u1", "notes"], "n", {"x": 1})
    await store.put_item([root, "users", "u2", "notes"], "n", {"x": 1})
    await store.put_item([root, "users", "u2", "prefs"], "p", {"x": 1})
    await store.put_item([root, "teams", "t1"], "t", {"x": 1})

    listed = await store.list_namespaces(prefix=[root])
    assert set(listed) == {"namespaces"}
    assert sorted(map(tuple, listed["namespaces"])) == [
        (root, "teams", "t1"),
        (root, "users", "u1", "notes"),
        (root, "users", "u2", "notes"),
        (root, "users", "u2", "prefs"),
    ]

    shallow = await store.list_namespaces(prefix=[root], max_depth=2)
    assert sorted(map(tuple, shallow["namespaces"])) == [(root, "teams"), (root, "users")]

    notes = await store.list_namespaces(prefix=[root], suffix=["notes"])
    assert sorted(ns[2] for ns in notes["namespaces"]) == ["u1", "u2"]

    first = await store.list_namespaces(prefix=[root], limit=3)
    rest = await store.list_namespaces(prefix=[root], limit=3, offset=3)
    assert len(first["namespaces"]) == 3 and len(rest["namespaces"]) == 1
    assert sorted(map(tuple, first["namespaces"] + rest["namespaces"])) == sorted(
        map(tuple, listed["namespaces"])
    )


async def test_semantic_search_ranks_the_nearest_item_first(
    store_server: StoreServer, root: str
) -> None:
    store = store_server.store
    if not store_server.semantic:
        # PostgreSQL without pgvector runs without `store.index`: a query is
        # then no ranking at all, and says so with null scores.
        await store.put_item([root, "docs"], "weather", {"text": "the weather is foggy"})
        found = (await store.search_items([root], query="foggy weather"))["items"]
        assert [i["key"] for i in found] == ["weather"]
        assert found[0]["score"] is None
        return
    await store.put_item([root, "docs"], "pizza", {"text": "I love pizza"})
    await store.put_item([root, "docs"], "weather", {"text": "the weather is foggy"})
    await store.put_item([root, "docs"], "cars", {"text": "cars and trucks"}, index=["text"])

    found = (await store.search_items([root], query="foggy weather"))["items"]
    assert found[0]["key"] == "weather"
    assert set(found[0]) == ITEM_KEYS | {"score"}
    scores = [i["score"] for i in found]
    assert all(isinstance(score, float) for score in scores)
    assert scores[0] > max(scores[1:])

    trucks = (await store.search_items([root], query="trucks", limit=1))["items"]
    assert [i["key"] for i in trucks] == ["cars"]

    # `filter` narrows a semantic search too.
    filtered = await store.search_items(
        [root], query="foggy weather", filter={"text": "I love pizza"}
    )
    assert [i["key"] for i in filtered["items"]] == ["pizza"]


async def test_ttl_and_refresh_ttl_are_accepted(store_server: StoreServer, root: str) -> None:
    store = store_server.store
    await store.put_item([root], "short-lived", {"text": "expires in an hour"}, ttl=60)
    for refresh in (True, False, None):
        item = await store.get_item([root], "short-lived", refresh_ttl=refresh)
        assert item["value"] == {"text": "expires in an hour"}
        found = await store.search_items([root], refresh_ttl=refresh)
        assert [i["key"] for i in found["items"]] == ["short-lived"]


_MISSING = object()


def _put(**changes: Any) -> dict[str, Any]:
    body = {"namespace": ["a"], "key": "k", "value": {}, **changes}
    return {"json": {name: v for name, v in body.items() if v is not _MISSING}}


@pytest.mark.parametrize(
    "method, path, request_kwargs, field",
    [
        ("PUT", "/store/items", _put(namespace=["a.b"]), "namespace"),
        ("PUT", "/store/items", _put(namespace=["a", ""]), "namespace"),
        ("PUT", "/store/items", _put(namespace=[]), "namespace"),
        ("PUT", "/store/items", _put(namespace=["langgraph"]), "namespace"),
        ("PUT", "/store/items", _put(namespace=_MISSING), "namespace"),
        ("PUT", "/store/items", _put(value=[1]), "value"),
        ("PUT", "/store/items", _put(value="text"), "value"),
        ("PUT", "/store/items", _put(key=_MISSING), "key"),
        ("PUT", "/store/items", _put(index=True), "index"),
        ("PUT", "/store/items", _put(ttl=-1), "ttl"),
        ("PUT", "/store/items", _put(value={"n": [1, 2**70]}), "value"),
        ("GET", "/store/items", {"params": {"namespace": "a..b", "key": "k"}}, "namespace"),
        ("GET", "/store/items", {"params": {"namespace": "a"}}, "key"),
        ("DELETE", "/store/items", {"json": {"namespace": ["a.b"], "key": "k"}}, "namespace"),
        ("POST", "/store/items/search", {"json": {"limit": 0}}, "limit"),
        ("POST", "/store/items/search", {"json": {"limit": 100000}}, "limit"),
        ("POST", "/store/items/search", {"json": {"offset": -1}}, "offset"),
        ("POST", "/store/items/search", {"json": {"namespace_prefix": "a"}}, "namespace_prefix"),
        ("POST", "/store/items/search", {"json": {"filter": {"x": {"$bogus": 1}}}}, "$bogus"),
        ("POST", "/store/items/search", {"json": {"filter": "red"}}, "filter"),
        ("POST", "/store/items/search", {"json": {"filter": {"n": 2**70}}}, "filter"),
        ("POST", "/store/items/search", {"json": {"filter": {"n": {"$gt": -(2**70)}}}}, "filter"),
        ("POST", "/store/namespaces", {"json": {"max_depth": 0}}, "max_depth"),
        ("POST", "/store/namespaces", {"json": {"limit": -5}}, "limit"),
        ("POST", "/store/namespaces", {"json": {"prefix": ["a.b"]}}, "prefix"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    store_server: StoreServer,
    method: str,
    path: str,
    request_kwargs: dict[str, Any],
    field: str,
) -> None:
    async with httpx.AsyncClient(base_url=store_server.url, timeout=10) as http:
        response = await http.request(method, path, **request_kwargs)
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


async def test_a_bad_filter_fails_only_its_own_request(
    store_server: StoreServer, root: str, database_url: str | None
) -> None:
    """LangGraph's stores run concurrent operations as one batch, so a filter
    the store chokes on used to fail every request batched with it (found by
    the fuzz test: a namespace listing answered 500 for another's filter)."""
    bad_filters = [{"x": {"$bogus": 1}}, {"x": 2**70}]
    if database_url is None:  # only the SQLite store restricts filter keys
        bad_filters.append({"M\U000a631f": 1})
    async with httpx.AsyncClient(base_url=store_server.url, timeout=10) as http:
        await http.put("/store/items", json={"namespace": [root], "key": "k", "value": {"x": 1}})
        for bad in bad_filters:
            answers = await asyncio.gather(
                *[http.post("/store/items/search", json={"filter": bad}) for _ in range(5)],
                *[http.post("/store/namespaces", json={"prefix": [root]}) for _ in range(5)],
                *[
                    http.post("/store/items/search", json={"namespace_prefix": [root]})
                    for _ in range(5)
                ],
            )
            assert [a.status_code for a in answers[:5]] == [422] * 5, answers[0].text
            assert all(a.json() == {"namespaces": [[root]]} for a in answers[5:10])
            assert all([i["key"] for i in a.json()["items"]] == ["k"] for a in answers[10:])


async def test_invalid_put_stores_nothing(store_server: StoreServer, root: str) -> None:
    async with httpx.AsyncClient(base_url=store_server.url, timeout=10) as http:
        response = await http.put(
            "/store/items", json={"namespace": [root], "key": "k", "value": ["not", "a", "dict"]}
        )
        assert response.status_code == 422
    assert await store_server.store.get_item([root], "k") is None


async def test_graph_nodes_read_and_write_the_same_store(
    store_server: StoreServer, root: str
) -> None:
    client = get_client(url=store_server.url)
    user = root  # unique per test, so the namespace ("memories", user) is fresh
    await client.store.put_item(["memories", user], "from-api", {"text": "likes tea"})

    thread = await client.threads.create()
    values = await client.runs.wait(
        thread["thread_id"], "store_graph", input={"user_id": user, "memory": "likes coffee"}
    )

    # The nodes saw what the API wrote (async node via runtime.store, sync node
    # via the injected `store` argument)...
    assert values["recalled"] == ["likes coffee", "likes tea"]
    assert values["seen_from_api"] == {"text": "likes tea"}
    # ...and the API sees what the nodes wrote inside their activities.
    from_graph = await client.store.get_item(["memories", user], "from-graph")
    assert from_graph["value"] == {"text": "likes coffee"}
    from_sync_node = await client.store.get_item(["memories", user], "from-sync-node")
    assert from_sync_node["value"] == {"text": "2 memories"}

    if store_server.semantic:
        # The worker embedded the node's item with the same index as the API.
        found = await client.store.search_items(["memories", user], query="coffee")
        assert found["items"][0]["key"] == "from-graph"


async def test_semantic_index_on_postgres_needs_pgvector(tmp_path: Path) -> None:
    with fresh_postgres_database() as url:
        settings = Settings(data_dir=tmp_path, database_url=url)
        if _has_pgvector(url):
            async with open_store(settings, load_project(STORE_CONFIG)) as store:
                assert store is not None
            return
        with pytest.raises(ConfigError, match=r"store\.index: .*pgvector"):
            async with open_store(settings, load_project(STORE_CONFIG)):
                pass
