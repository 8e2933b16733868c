"""Bad input gets a clear 4xx with a message, never a 500, and stores nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from steadygraph.threads.service import STATE_UPDATE_WAIT_S

UNKNOWN = "5fc20631-47b7-48cd-8aa2-9f2eace9778d"
JSON = {"content-type": "application/json"}


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


# ---- found by fuzzing: every number is range-checked, no request waits unboundedly ----

HUGE = 41548005005027205120  # past any 64-bit integer a database can bind


async def test_history_query_parameters_are_range_checked(http: httpx.AsyncClient) -> None:
    thread = (await http.post("/threads", json={})).json()
    history = f"/threads/{thread['thread_id']}/history"
    response = await http.get(history, params={"before": "garbage", "limit": -2358021204085})
    assert response.status_code == 422
    assert "limit" in response.json()["detail"]
    assert (await http.get(history, params={"limit": 1001})).status_code == 422
    assert (await http.get(history, params={"limit": "many"})).status_code == 422
    # An empty or unknown `before` is no error: there is simply nothing before it.
    assert (await http.get(history, params={"before": "", "limit": 1000})).json() == []
    assert (await http.get(history, params={"before": "garbage"})).json() == []


@pytest.mark.parametrize(
    "method, path, body, field",
    [
        ("POST", "/assistants/search", {"offset": HUGE}, "offset"),
        ("POST", "/assistants/search", {"limit": 0}, "limit"),
        ("POST", "/threads/search", {"offset": HUGE}, "offset"),
        ("POST", "/threads/search", {"limit": 1001}, "limit"),
        ("POST", "/runs/crons/search", {"offset": HUGE}, "offset"),
        ("POST", "/store/items/search", {"offset": HUGE}, "offset"),
        ("POST", "/store/namespaces", {"offset": HUGE}, "offset"),
        ("POST", "/threads", {"ttl": {"ttl": 1.1663836003919024e308}}, "ttl.ttl"),
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": 1e300}, "ttl"),
        (
            "PUT",
            "/store/items",
            {"namespace": ["a"], "key": "k", "value": {}, "ttl": 5e-324},
            "ttl",
        ),
        ("POST", "/store/namespaces", {"max_depth": 8589934592}, "max_depth"),
    ],
)
async def test_absurd_numbers_in_bodies_are_422_naming_the_field(
    http: httpx.AsyncClient, method: str, path: str, body: dict, field: str
) -> None:
    response = await http.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field}: ")


async def test_absurd_numbers_in_queries_are_422(http: httpx.AsyncClient) -> None:
    thread = (await http.post("/threads", json={})).json()
    runs = f"/threads/{thread['thread_id']}/runs"
    assert (await http.get(runs, params={"offset": HUGE})).status_code == 422
    assert (await http.get(runs, params={"limit": -1})).status_code == 422
    assistant = (await http.post("/assistants", json={"graph_id": "agent"})).json()
    latest = f"/assistants/{assistant['assistant_id']}/latest"
    assert (await http.post(latest, params={"version": HUGE})).status_code == 422
    assert (await http.post(latest, json={"version": HUGE})).status_code == 422
    assert (await http.post(latest, json={"version": 0})).status_code == 422


async def test_a_ttl_patch_out_of_range_leaves_the_thread_as_it_was(
    http: httpx.AsyncClient,
) -> None:
    thread = (await http.post("/threads", json={"metadata": {"keep": 1}})).json()
    response = await http.patch(
        f"/threads/{thread['thread_id']}", json={"metadata": {"keep": 2}, "ttl": {"ttl": 1e308}}
    )
    assert response.status_code == 422
    assert (await http.get(f"/threads/{thread['thread_id']}")).json() == thread


async def test_filters_with_integers_past_64_bits_match_nothing_instead_of_failing(
    http: httpx.AsyncClient,
) -> None:
    for path in ("/assistants/count", "/threads/count"):
        response = await http.post(path, json={"metadata": {"n": HUGE}})
        assert response.status_code == 200, response.text
        assert response.json() == 0
    found = await http.post("/threads/search", json={"metadata": {"n": -HUGE}, "values": {"v": 1}})
    assert found.status_code == 200
    assert found.json() == []
    # A stored number that large is found again by the same filter.
    thread = (await http.post("/threads", json={"metadata": {"big": HUGE}})).json()
    found = await http.post("/threads/search", json={"metadata": {"big": HUGE}})
    assert [t["thread_id"] for t in found.json()] == [thread["thread_id"]]


async def test_a_delay_past_a_year_is_422_and_cannot_wedge_the_thread(
    http: httpx.AsyncClient,
) -> None:
    # 3.6e16 s once overflowed the thread workflow's timer: its workflow task
    # failed forever, and every later request on the thread hung.
    thread = (await http.post("/threads", json={"metadata": {"graph_id": "agent"}})).json()
    runs = f"/threads/{thread['thread_id']}/runs"
    response = await http.post(runs, json={"assistant_id": "agent", "after_seconds": 3.6e16})
    assert response.status_code == 422
    assert "after_seconds" in response.json()["detail"]
    assert (await http.get(runs)).json() == []
    response = await http.post(f"/threads/{thread['thread_id']}/state", json={"values": None})
    assert response.status_code == 200, response.text


async def test_a_state_update_behind_a_waiting_run_answers_409_and_still_applies(
    http: httpx.AsyncClient,
) -> None:
    thread = (await http.post("/threads", json={})).json()
    thread_id = thread["thread_id"]
    run = (
        await http.post(
            f"/threads/{thread_id}/runs",
            json={"assistant_id": "slow", "input": {}, "after_seconds": 3600},
        )
    ).json()
    started = asyncio.get_running_loop().time()
    response = await http.post(
        f"/threads/{thread_id}/state",
        json={"values": {"visited": ["edited"]}, "as_node": "step1"},
        timeout=STATE_UPDATE_WAIT_S + 15,
    )
    waited = asyncio.get_running_loop().time() - started
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]
    assert "Retry-After" not in response.headers  # resending would apply it twice
    assert STATE_UPDATE_WAIT_S - 1 <= waited < STATE_UPDATE_WAIT_S + 10
    # Nothing lost: once the run is out of the way, the queued update applies.
    cancelled = await http.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert cancelled.status_code == 202

    for _ in range(300):
        state = (await http.get(f"/threads/{thread_id}/state")).json()
        if state["values"] == {"visited": ["edited"]}:
            break
        await asyncio.sleep(0.1)
    assert state["values"] == {"visited": ["edited"]}


async def test_an_unknown_checkpoint_is_404_and_the_state_is_kept(
    http: httpx.AsyncClient,
) -> None:
    thread = (await http.post("/threads", json={"metadata": {"graph_id": "slow"}})).json()
    state_url = f"/threads/{thread['thread_id']}/state"
    first = await http.post(state_url, json={"values": {"visited": ["a"]}, "as_node": "step1"})
    assert first.status_code == 200, first.text
    before = (await http.get(state_url)).json()
    for body in (
        {"values": {"visited": ["x"]}, "checkpoint_id": "garbage"},
        {"values": None, "checkpoint": {"checkpoint_id": "garbage"}},
    ):
        response = await http.post(state_url, json=body)
        assert response.status_code == 404
        assert "Checkpoint garbage" in response.json()["detail"]
    assert (await http.get(state_url)).json() == before


async def test_oversized_bodies_are_413_before_they_are_read(http: httpx.AsyncClient) -> None:
    limit = 10 * 1024 * 1024  # the default STEADYGRAPH_MAX_BODY_BYTES
    oversized = b'{"metadata": {"blob": "' + b"x" * limit + b'"}}'
    response = await http.post(
        "/threads", content=oversized, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(oversized), 1024 * 1024):
            yield oversized[start : start + 1024 * 1024]

    response = await http.post(
        "/threads", content=chunked(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert (await http.post("/threads/count", json={"metadata": {"blob": "x"}})).json() == 0
    # Just under the limit is an ordinary request.
    fits = b'{"metadata": {"blob": "' + b"x" * (limit - 100) + b'"}}'
    response = await http.post(
        "/threads/count", content=fits, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text


async def test_nul_and_unpaired_surrogates_are_stored_as_langgraph_server_stores_them(
    http: httpx.AsyncClient,
) -> None:
    # PostgreSQL holds neither; both backends keep the same replacement text.
    metadata = {"key\x00": "a\x00b", "lone": "x\ud821y", "pair": "\U0001f600"}
    stored = {"key\ufffd": "a\ufffdb", "lone": "x?y", "pair": "\U0001f600"}
    # Escaped as JSON allows (httpx would send the unpaired surrogate raw, and fail).
    as_json = {"content": json.dumps({"metadata": metadata}), "headers": JSON}
    response = await http.post("/threads", **as_json)
    assert response.status_code == 200, response.text
    thread = response.json()
    assert thread["metadata"] == stored
    found = await http.post("/threads/search", **as_json)
    assert [t["thread_id"] for t in found.json()] == [thread["thread_id"]]

    put = await http.put(
        "/store/items", json={"namespace": ["nul"], "key": "k\x00", "value": {"v": "\x00"}}
    )
    assert put.status_code == 204, put.text
    item = (await http.get("/store/items", params={"namespace": "nul", "key": "k\ufffd"})).json()
    assert item["value"] == {"v": "\ufffd"}

    run = await http.post(
        f"/threads/{thread['thread_id']}/runs/wait",
        json={"assistant_id": "slow", "input": {"visited": ["\x00"]}},
    )
    assert run.status_code == 200, run.text
    assert run.json()["visited"][0] == "\ufffd"


async def test_nul_in_the_url_is_422(http: httpx.AsyncClient) -> None:
    thread = (await http.post("/threads", json={})).json()
    for url in (
        f"/threads/{thread['thread_id']}/state/a%00b",
        f"/threads/{thread['thread_id']}/history?before=%00",
        "/store/items?key=%00",
    ):
        response = await http.get(url)
        assert response.status_code == 422, url
        assert response.json() == {"detail": "The URL must not contain NUL characters"}
