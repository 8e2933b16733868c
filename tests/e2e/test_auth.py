"""Custom auth (langgraph.json `auth.path`) and static API keys, through the
real langgraph_sdk against real `steadygraph api`/`worker` processes.

The project (tests/projects/auth) has two users, alice and bob, and an admin:
each user sees only what they own; another user's object is a 404 and never
shows in a search or count; the admin sees everything.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any

import httpx
import pytest
from harness import ROOT, Deployment, dedicated_deployment
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import AuthenticationError
from temporalio.client import Client as TemporalClient

from steadygraph.dev.processes import stop
from steadygraph.dev.temporal_server import EmbeddedTemporal

PROJECT = ROOT / "tests" / "projects" / "auth" / "langgraph.json"
GRAPH = "whoami"
JSON_AND_SSE = {"Accept": "application/json, text/event-stream"}
NEVER = "0 0 1 1 *"
WEATHER = {
    "messages": [{"role": "human", "content": "weather in Paris?"}]
}  # once a year: crons under test never fire on their own


@pytest.fixture(scope="module")
def auth_deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    with dedicated_deployment(
        temporal_server.address, database_url, tmp_path_factory.mktemp("auth"), PROJECT
    ) as deployment:
        yield deployment


def _client(url: str, token: str | None) -> LangGraphClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return get_client(url=url, headers=headers)


@pytest.fixture
def alice(auth_deployment: Deployment) -> LangGraphClient:
    return _client(auth_deployment.url, "alice-token")


@pytest.fixture
def bob(auth_deployment: Deployment) -> LangGraphClient:
    return _client(auth_deployment.url, "bob-token")


@pytest.fixture
def admin(auth_deployment: Deployment) -> LangGraphClient:
    return _client(auth_deployment.url, "admin-token")


async def refused(call: Awaitable[Any]) -> None:
    """The call is answered 404, as for an id that does not exist."""
    # The SDK raises NotFoundError from most calls, a plain HTTPStatusError from some.
    with pytest.raises(httpx.HTTPStatusError) as info:
        await call
    assert info.value.response.status_code == 404, info.value.response.text


async def drain(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


# ---- authentication -------------------------------------------------------------------


async def test_missing_or_bad_credentials_are_401(auth_deployment: Deployment) -> None:
    for token in (None, "mallory-token"):
        client = _client(auth_deployment.url, token)
        with pytest.raises(AuthenticationError) as info:
            await client.threads.search()
        expected = "Missing credentials" if token is None else "Invalid token"
        assert info.value.response.json() == {"detail": expected}
    async with httpx.AsyncClient(base_url=auth_deployment.url) as http:
        scheme = await http.get(
            "/threads/00000000-0000-0000-0000-000000000000",
            headers={"Authorization": "Basic alice-token"},
        )
        assert scheme.status_code == 401
        # Health, server info and the API's description stay open.
        for path in ("/ok", "/info", "/docs", "/openapi.json"):
            assert (await http.get(path)).status_code == 200, path
        # MCP and A2A are behind the same door.
        mcp = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=JSON_AND_SSE
        )
        assert mcp.status_code == 401
        assert (await http.get(f"/a2a/{GRAPH}")).status_code == 401


# ---- threads ---------------------------------------------------------------------------


async def test_threads_are_private(
    alice: LangGraphClient, bob: LangGraphClient, admin: LangGraphClient
) -> None:
    thread = await alice.threads.create(metadata={"topic": "secret"})
    thread_id = thread["thread_id"]
    # The create handler stamped the owner, visibly.
    assert thread["metadata"] == {"topic": "secret", "owner": "alice", "readers": ["alice"]}
    await alice.runs.wait(thread_id, GRAPH, input={"value": 1})

    await refused(bob.threads.get(thread_id))
    await refused(bob.threads.update(thread_id, metadata={"owner": "bob"}))
    await refused(bob.threads.delete(thread_id))
    await refused(bob.threads.copy(thread_id))
    await refused(bob.threads.get_state(thread_id))
    await refused(bob.threads.get_history(thread_id))
    await refused(bob.threads.update_state(thread_id, {"value": 2}))
    assert await bob.threads.prune([thread_id]) == {"pruned_count": 0}

    bob_ids = {t["thread_id"] for t in await bob.threads.search(limit=1000)}
    assert thread_id not in bob_ids
    assert not await bob.threads.search(metadata={"topic": "secret"})
    assert await bob.threads.count(metadata={"topic": "secret"}) == 0
    assert not await bob.threads.search(ids=[thread_id])

    # Alice's own operations all work, and her thread is untouched by bob's tries.
    assert (await alice.threads.get(thread_id))["metadata"]["owner"] == "alice"
    assert await alice.threads.count(metadata={"topic": "secret"}) >= 1
    assert (await alice.threads.get_state(thread_id))["values"]["user_id"] == "alice"
    assert await alice.threads.get_history(thread_id)
    await alice.threads.update_state(thread_id, {"value": 3}, as_node="whoami")
    copy = await alice.threads.copy(thread_id)
    assert copy["metadata"]["owner"] == "alice"
    # The admin's handlers return no filter: everything is visible.
    assert (await admin.threads.get(thread_id))["thread_id"] == thread_id
    assert any(
        t["thread_id"] == thread_id
        for t in await admin.threads.search(metadata={"topic": "secret"}, limit=1000)
    )
    # Shared for reading ($contains on metadata.readers): bob may read, not change.
    await alice.threads.update(copy["thread_id"], metadata={"readers": ["alice", "bob"]})
    assert (await bob.threads.get(copy["thread_id"]))["thread_id"] == copy["thread_id"]
    await refused(bob.threads.delete(copy["thread_id"]))
    assert await alice.threads.prune([copy["thread_id"]]) == {"pruned_count": 1}
    await alice.threads.delete(thread_id)
    await refused(alice.threads.get(thread_id))


# ---- runs ------------------------------------------------------------------------------


async def test_runs_on_another_users_thread_are_refused(
    alice: LangGraphClient, bob: LangGraphClient
) -> None:
    thread_id = (await alice.threads.create())["thread_id"]
    run = await alice.runs.create(thread_id, GRAPH, input={"value": 1})
    run_id = run["run_id"]
    await alice.runs.join(thread_id, run_id)
    # The run carries its user, and the graph saw it in its config.
    configurable = run["kwargs"]["config"]["configurable"]
    assert configurable["langgraph_auth_user_id"] == "alice"
    assert configurable["langgraph_auth_user"]["display_name"] == "Alice"
    assert configurable["langgraph_auth_permissions"] == ["user"]
    state = await alice.threads.get_state(thread_id)
    assert state["values"]["user_id"] == "alice"
    assert state["values"]["display_name"] == "Alice"

    await refused(bob.runs.create(thread_id, GRAPH, input={"value": 2}))
    await refused(bob.runs.wait(thread_id, GRAPH, input={"value": 2}))
    await refused(drain(bob.runs.stream(thread_id, GRAPH, input={"value": 2})))
    await refused(bob.runs.list(thread_id))
    await refused(bob.runs.get(thread_id, run_id))
    await refused(bob.runs.join(thread_id, run_id))
    await refused(drain(bob.runs.join_stream(thread_id, run_id)))
    await refused(bob.runs.cancel(thread_id, run_id))
    await refused(bob.runs.cancel_many(thread_id=thread_id, run_ids=[run_id]))
    await refused(bob.runs.delete(thread_id, run_id))
    # Cancelling "every pending run" only reaches one's own.
    pending = await alice.runs.create(thread_id, GRAPH, input={"value": 3}, after_seconds=30)
    await bob.runs.cancel_many(status="pending")
    assert (await alice.runs.get(thread_id, pending["run_id"]))["status"] == "pending"
    await alice.runs.cancel(thread_id, pending["run_id"], wait=True)
    # Nothing of bob's reached alice's thread.
    assert [r["run_id"] for r in await alice.runs.list(thread_id)] == [
        pending["run_id"],
        run_id,
    ]
    assert await alice.runs.get(thread_id, run_id)
    await alice.runs.delete(thread_id, run_id)


async def test_thread_streams_of_another_users_thread_are_refused(
    auth_deployment: Deployment, alice: LangGraphClient, bob: LangGraphClient
) -> None:
    thread_id = (await alice.threads.create())["thread_id"]
    await alice.runs.wait(thread_id, GRAPH, input={"value": 1})
    await refused(drain(await bob.threads.join_stream(thread_id)))
    bob_headers = {"Authorization": "Bearer bob-token"}
    async with httpx.AsyncClient(base_url=auth_deployment.url, headers=bob_headers) as http:
        command = {"id": 1, "method": "run.start", "params": {"assistant_id": GRAPH}}
        answer = await http.post(f"/threads/{thread_id}/commands", json=command)
        assert answer.status_code == 404, answer.text
        # A valid subscription: refused for whose thread it is, not for its body.
        subscription = {"channels": ["lifecycle"], "since": 0}
        answer = await http.post(f"/threads/{thread_id}/stream/events", json=subscription)
        assert answer.status_code == 404, answer.text
    # Nothing of bob's reached alice's thread, and she still streams it.
    assert len(await alice.runs.list(thread_id)) == 1
    # The thread's stream still opens for its owner.
    alice_headers = {"Authorization": "Bearer alice-token"}
    async with (
        httpx.AsyncClient(base_url=auth_deployment.url, headers=alice_headers) as http,
        http.stream("GET", f"/threads/{thread_id}/stream") as response,
    ):
        assert response.status_code == 200


async def test_stateless_runs_belong_to_their_user(
    alice: LangGraphClient, bob: LangGraphClient
) -> None:
    output = await bob.runs.wait(None, GRAPH, input={"value": 1})
    assert output["user_id"] == "bob"
    assert output["permissions"] == ["user"]
    kept = await bob.runs.create(None, GRAPH, input={"value": 1}, on_completion="keep")
    await bob.runs.join(kept["thread_id"], kept["run_id"])
    # The thread made for the run got the run's stamped metadata: it is bob's.
    assert (await bob.threads.get(kept["thread_id"]))["metadata"]["owner"] == "bob"
    await refused(alice.threads.get(kept["thread_id"]))
    await refused(alice.runs.get(kept["thread_id"], kept["run_id"]))
    batch = await bob.runs.create_batch(
        [{"assistant_id": GRAPH, "input": {"value": 1}, "on_completion": "keep"}]
    )
    await bob.runs.join(batch[0]["thread_id"], batch[0]["run_id"])
    await refused(alice.threads.get(batch[0]["thread_id"]))
    # if_not_exists="create" makes a thread of bob's; alice cannot then run on it.
    made = str(uuid.uuid4())
    await bob.runs.wait(made, GRAPH, input={"value": 1}, if_not_exists="create")
    await refused(alice.runs.wait(made, GRAPH, input={"value": 1}, if_not_exists="create"))
    await bob.threads.delete(made)


# ---- assistants ------------------------------------------------------------------------


async def test_assistants_are_private(
    auth_deployment: Deployment,
    alice: LangGraphClient,
    bob: LangGraphClient,
    admin: LangGraphClient,
) -> None:
    assistant = await alice.assistants.create(GRAPH, name="alices helper", metadata={"k": "v"})
    assistant_id = assistant["assistant_id"]
    assert assistant["metadata"]["owner"] == "alice"
    await alice.assistants.update(assistant_id, metadata={"k": "w"})

    await refused(bob.assistants.get(assistant_id))
    await refused(bob.assistants.update(assistant_id, metadata={"owner": "bob"}))
    await refused(bob.assistants.delete(assistant_id))
    await refused(bob.assistants.get_versions(assistant_id))
    await refused(bob.assistants.set_latest(assistant_id, 1))
    await refused(bob.assistants.get_graph(assistant_id))
    await refused(bob.assistants.get_schemas(assistant_id))
    await refused(bob.assistants.get_subgraphs(assistant_id))
    await refused(bob.runs.wait(None, assistant_id, input={"value": 1}))
    await refused(bob.runs.create(None, assistant_id, input={"value": 1}))
    assert assistant_id not in {a["assistant_id"] for a in await bob.assistants.search(limit=1000)}
    assert await bob.assistants.count(metadata={"k": "w"}) == 0
    async with httpx.AsyncClient(
        base_url=auth_deployment.url, headers={"Authorization": "Bearer bob-token"}
    ) as http:
        assert (await http.get(f"/a2a/{assistant_id}")).status_code == 404
        tools = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=JSON_AND_SSE
        )
        assert tools.status_code == 200
        assert "alices_helper" not in {t["name"] for t in tools.json()["result"]["tools"]}

    assert (await alice.assistants.get(assistant_id))["metadata"]["k"] == "w"
    assert [v["version"] for v in await alice.assistants.get_versions(assistant_id)] == [2, 1]
    assert await alice.assistants.count(metadata={"k": "w"}) == 1
    assert await alice.assistants.get_schemas(assistant_id)
    output = await alice.runs.wait(None, assistant_id, input={"value": 1})
    assert output["user_id"] == "alice"
    async with httpx.AsyncClient(
        base_url=auth_deployment.url, headers={"Authorization": "Bearer alice-token"}
    ) as http:
        card = await http.get(f"/a2a/{assistant_id}")
        assert card.status_code == 200 and card.json()["name"] == "alices helper"

        async def listed() -> bool:
            tools = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers=JSON_AND_SSE,
            )
            return "alices_helper" in {t["name"] for t in tools.json()["result"]["tools"]}

        assert await listed()
    assert await admin.assistants.get(assistant_id)
    await alice.assistants.set_latest(assistant_id, 1)
    await alice.assistants.delete(assistant_id)
    await refused(alice.assistants.get(assistant_id))


# ---- crons -----------------------------------------------------------------------------


async def test_crons_are_private(
    alice: LangGraphClient, bob: LangGraphClient, admin: LangGraphClient
) -> None:
    thread_id = (await alice.threads.create())["thread_id"]
    cron = await alice.crons.create_for_thread(
        thread_id, GRAPH, schedule=NEVER, input={"value": 1}, metadata={"job": "nightly"}
    )
    cron_id = cron["cron_id"]
    assert cron["metadata"]["owner"] == "alice"
    assert cron["user_id"] == "alice"
    stateless = await alice.crons.create(GRAPH, schedule=NEVER, input={"value": 1})

    await refused(bob.crons.update(cron_id, schedule="0 0 2 1 *"))
    await refused(bob.crons.delete(cron_id))
    await refused(bob.crons.delete(stateless["cron_id"]))
    await refused(bob.crons.create_for_thread(thread_id, GRAPH, schedule=NEVER))
    bob_ids = {c["cron_id"] for c in await bob.crons.search(limit=1000)}
    assert not bob_ids & {cron_id, stateless["cron_id"]}
    assert await bob.crons.count(thread_id=thread_id) == 0
    assert not await bob.crons.search(thread_id=thread_id)

    assert {c["cron_id"] for c in await alice.crons.search(thread_id=thread_id)} == {cron_id}
    assert await alice.crons.count(thread_id=thread_id) == 1
    assert cron_id in {c["cron_id"] for c in await admin.crons.search(limit=1000)}
    updated = await alice.crons.update(cron_id, schedule="0 0 2 1 *")
    assert updated["schedule"] == "0 0 2 1 *"
    await alice.crons.delete(cron_id)
    await alice.crons.delete(stateless["cron_id"])


async def test_a_cron_fires_as_its_creator(
    temporal_server: EmbeddedTemporal, alice: LangGraphClient, bob: LangGraphClient
) -> None:
    thread_id = (await alice.threads.create())["thread_id"]
    cron = await alice.crons.create_for_thread(thread_id, GRAPH, schedule=NEVER, input={})
    temporal = await TemporalClient.connect(temporal_server.address)
    # Fired now by Temporal itself, as its schedule would.
    await temporal.get_schedule_handle(cron["cron_id"]).trigger()
    for _ in range(600):
        runs = await alice.runs.list(thread_id)
        if runs and runs[0]["status"] == "success":
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"the cron's run did not succeed: {runs}")
    assert runs[0]["kwargs"]["config"]["configurable"]["langgraph_auth_user_id"] == "alice"
    assert (await alice.threads.get_state(thread_id))["values"]["user_id"] == "alice"
    await refused(bob.runs.get(thread_id, runs[0]["run_id"]))
    await alice.crons.delete(cron["cron_id"])


# ---- store -----------------------------------------------------------------------------


async def test_store_items_are_namespaced_per_user(
    alice: LangGraphClient, bob: LangGraphClient
) -> None:
    await alice.store.put_item(["prefs"], "theme", {"color": "green"})
    await bob.store.put_item(["prefs"], "theme", {"color": "red"})
    mine = await alice.store.get_item(["prefs"], "theme")
    assert mine is not None and mine["value"] == {"color": "green"}
    # The handler rewrote the namespace under the user's identity.
    assert mine["namespace"] == ["alice", "prefs"]
    theirs = await bob.store.get_item(["prefs"], "theme")
    assert theirs is not None and theirs["value"] == {"color": "red"}
    # Naming alice's namespace outright still lands in bob's own.
    assert await bob.store.get_item(["alice", "prefs"], "theme") is None
    found = await bob.store.search_items(["prefs"])
    assert [item["value"] for item in found["items"]] == [{"color": "red"}]
    everything = await bob.store.search_items([], limit=100)
    assert all(item["namespace"][0] == "bob" for item in everything["items"])
    namespaces = (await bob.store.list_namespaces())["namespaces"]
    assert namespaces and all(ns[0] == "bob" for ns in namespaces)
    await bob.store.delete_item(["alice", "prefs"], "theme")  # bob's own namespace: nothing
    assert await alice.store.get_item(["prefs"], "theme") is not None
    await alice.store.delete_item(["prefs"], "theme")
    assert await alice.store.get_item(["prefs"], "theme") is None


# ---- restarts and API keys ---------------------------------------------------------------


async def test_auth_survives_an_api_restart(
    auth_deployment: Deployment, alice: LangGraphClient, bob: LangGraphClient
) -> None:
    thread_id = (await alice.threads.create())["thread_id"]
    assert auth_deployment.api is not None
    stop(auth_deployment.api)
    auth_deployment.start_api()
    assert (await alice.threads.get(thread_id))["metadata"]["owner"] == "alice"
    await refused(bob.threads.get(thread_id))
    with pytest.raises(AuthenticationError):
        await _client(auth_deployment.url, None).threads.get(thread_id)


@pytest.fixture(scope="module")
def api_key_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    with dedicated_deployment(
        temporal_server.address,
        database_url,
        tmp_path_factory.mktemp("api-keys"),
        extra_env={"STEADYGRAPH_API_KEYS": "old-key, new-key"},
    ) as deployment:
        yield deployment.url


async def test_api_keys_alone_guard_the_api(api_key_url: str) -> None:
    for key in (None, "wrong-key"):
        with pytest.raises(AuthenticationError):
            await get_client(url=api_key_url, api_key=key, headers={}).threads.search()
    # Either key of a rotation works.
    for key in ("old-key", "new-key"):
        client = get_client(url=api_key_url, api_key=key)
        thread = await client.threads.create()
        output = await client.runs.wait(thread["thread_id"], "agent", input=WEATHER)
        assert output["messages"]
    async with httpx.AsyncClient(base_url=api_key_url) as http:
        assert (await http.get("/ok")).status_code == 200
        assert (await http.get("/assistants/agent/graph")).status_code == 401
