"""Bad input gets a clear 4xx with a message, never a 500, and stores nothing."""

from __future__ import annotations

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

UNKNOWN = "5fc20631-47b7-48cd-8aa2-9f2eace9778d"


@pytest.fixture
async def http(server_url: str):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=server_url, timeout=10) as client:
        yield client


async def test_unknown_ids_are_404_with_the_server_messages(server_url: str) -> None:
    client = get_client(url=server_url)
    with pytest.raises(NotFoundError, match=f"Thread with ID {UNKNOWN} not found"):
        await client.threads.get(UNKNOWN)
    with pytest.raises(NotFoundError, match="Not Found"):
        await client.assistants.get(UNKNOWN)
    with pytest.raises(NotFoundError, match="Thread or assistant not found"):
        await client.runs.create(UNKNOWN, "agent", input={})
    thread = await client.threads.create()
    with pytest.raises(NotFoundError, match="Thread or assistant not found"):
        await client.runs.create(thread["thread_id"], UNKNOWN, input={})
    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], UNKNOWN)
    # The SDK's join raises httpx's error rather than its own typed one.
    with pytest.raises(httpx.HTTPStatusError) as raised:
        await client.runs.join(thread["thread_id"], UNKNOWN)
    assert raised.value.response.status_code == 404
    assert await client.runs.list(thread["thread_id"]) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_malformed_ids_are_422_naming_the_field(http: httpx.AsyncClient) -> None:
    response = await http.get("/threads/not-a-uuid")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid thread ID: must be a UUID"}
    response = await http.get("/assistants/nope")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}
    response = await http.post("/threads", json={"thread_id": "nope"})
    assert response.status_code == 422


async def test_unknown_graph_is_422_listing_the_graphs(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    with pytest.raises(UnprocessableEntityError, match="registered graphs: agent, slow"):
        await client.runs.create(thread["thread_id"], "no-such-graph", input={})
    assert await client.runs.list(thread["thread_id"]) == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"assistant_id": "agent", "multitask_strategy": "bogus"}, "multitask_strategy"),
        ({"assistant_id": "agent", "stream_mode": "bogus"}, "stream_mode"),
        ({"assistant_id": "agent", "metadata": "not an object"}, "metadata"),
        ({"assistant_id": "agent", "after_seconds": -1}, "after_seconds"),
        ({"input": {}}, "assistant_id"),
    ],
)
async def test_invalid_run_bodies_are_422_naming_the_field(
    http: httpx.AsyncClient, body: dict, field: str
) -> None:
    thread = (await http.post("/threads", json={})).json()
    response = await http.post(f"/threads/{thread['thread_id']}/runs", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert (await http.get(f"/threads/{thread['thread_id']}/runs")).json() == []


async def test_invalid_json_is_422(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/threads", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid JSON in request body"}


async def test_duplicate_thread_is_409_and_do_nothing_returns_it(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create(metadata={"a": 1})
    with pytest.raises(ConflictError, match="already exists"):
        await client.threads.create(thread_id=thread["thread_id"])
    same = await client.threads.create(thread_id=thread["thread_id"], if_exists="do_nothing")
    assert same == thread


async def test_reject_strategy_is_409_while_the_thread_is_busy(server_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = get_client(url=server_url)
    thread = await client.threads.create()
    first = await client.runs.create(
        thread["thread_id"], "slow", input={"sleep_s": 1.0, "marker_file": str(tmp_path / "m")}
    )
    with pytest.raises(ConflictError, match="Thread is already running a task"):
        await client.runs.create(thread["thread_id"], "slow", input={}, multitask_strategy="reject")
    await client.runs.join(thread["thread_id"], first["run_id"])
    runs = await client.runs.list(thread["thread_id"])
    assert [r["run_id"] for r in runs] == [first["run_id"]]
