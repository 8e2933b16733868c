"""Crons: Temporal Schedules that create ordinary runs.

Firings are started with the schedule's own trigger, so no test waits for a
clock minute. Every query is narrowed to the test's own thread or metadata:
the deployment (and the Temporal namespace) is shared by the whole session.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from harness import Deployment
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from tests_support import slow_input

from steadygraph.crons.service import cron_expressions
from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.errors import Invalid
from steadygraph.ids import system_assistant_id

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
AGENT_ID = system_assistant_id("agent")
UNKNOWN = "5fc20631-47b7-48cd-8aa2-9f2eace9778d"
YEARLY = "0 0 1 1 *"  # SHAPES.md's schedule: never fires during a test


@pytest.fixture
async def temporal(temporal_server: EmbeddedTemporal) -> Client:
    return await Client.connect(temporal_server.address)


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        yield client


async def _eventually(check, what: str, within_s: float = 60):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def _settled(read, expected: Any, within_s: float = 10) -> Any:  # type: ignore[no-untyped-def]
    """What `read()` returns once it equals `expected` (or the last value after
    `within_s`). Listing schedules goes through Temporal's visibility store,
    which is eventually consistent: the dev server indexes within moments."""
    deadline = asyncio.get_running_loop().time() + within_s
    value = await read()
    while value != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        value = await read()
    return value


def _ids(crons: list[dict[str, Any]]) -> list[str]:
    return [c["cron_id"] for c in crons]


async def _ids_of(search) -> list[str]:  # type: ignore[no-untyped-def]
    return _ids(await search)


async def _fire(temporal: Client, cron_id: str) -> str:
    """Trigger the cron's schedule now; the id of the firing's workflow."""
    handle = temporal.get_schedule_handle(cron_id)

    async def firings() -> list[str]:
        info = (await handle.describe()).info
        ids = [a.action.workflow_id for a in info.recent_actions]
        return ids + [a.workflow_id for a in info.running_actions if a.workflow_id not in ids]

    before = set(await firings())
    await handle.trigger()

    async def started() -> str | None:
        new = [i for i in await firings() if i not in before]
        return new[0] if new else None

    return await _eventually(started, f"a firing of cron {cron_id}")


async def _fired_run(temporal: Client, cron_id: str) -> dict[str, Any]:
    """Trigger the cron and return the firing's result: the run it created."""
    workflow_id = await _fire(temporal, cron_id)
    return await temporal.get_workflow_handle(workflow_id).result()


def _is_iso_utc(value: str) -> bool:
    parsed = datetime.fromisoformat(value)
    return parsed.utcoffset() == timedelta(0)


def _next_yearly(now: datetime) -> datetime:
    return datetime(now.year + 1, 1, 1, tzinfo=UTC)


# ---- the cron expression check (no server needed) -----------------------------------


@pytest.mark.parametrize(
    "schedule, expected",
    [
        ("* * * * *", ["* * * * *"]),
        ("0 0 1 1 *", ["0 0 1 1 *"]),
        ("*/20 9-10 * JAN,jul MON-FRI", ["0,20,40 9,10 * 1,7 1,2,3,4,5"]),
        ("5/20 * * * 7", ["5,25,45 * * * 0"]),
        ("@daily", ["0 0 * * *"]),
        ("0 0 ? * *", ["0 0 * * *"]),
        # Cron fires on the 13th *or* a Friday; Temporal ANDs its fields.
        ("0 12 13 * 5", ["0 12 13 * *", "0 12 * * 5"]),
        ("0 0 1-31 * 1", ["0 0 * * *", "0 0 * * 1"]),
    ],
)
def test_cron_expressions_translate_to_temporal(schedule: str, expected: list[str]) -> None:
    assert cron_expressions(schedule) == expected


@pytest.mark.parametrize(
    "schedule",
    [
        "",
        "not a cron",
        "61 * * * *",
        "* * * *",
        "* * * * * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "0 0 L * *",
        "0 0 * * 8",
        "0 24 * * *",
        "0 0 0 * *",
        "0 0 * 13 *",
        "@reboot",
        "a-b * * * *",
    ],
)
def test_invalid_cron_expressions_are_refused(schedule: str) -> None:
    with pytest.raises(Invalid, match="Invalid cron schedule"):
        cron_expressions(schedule)


# ---- end to end ----------------------------------------------------------------------


async def test_thread_cron_has_langgraph_servers_shape(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    before = datetime.now(UTC)
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input=WEATHER
    )
    try:
        assert list(cron) == [
            "cron_id",
            "assistant_id",
            "thread_id",
            "user_id",
            "end_time",
            "schedule",
            "timezone",
            "payload",
            "next_run_date",
            "metadata",
            "on_run_completed",
            "enabled",
            "created_at",
            "updated_at",
        ]
        uuid.UUID(cron["cron_id"])
        assert cron["assistant_id"] == AGENT_ID
        assert cron["thread_id"] == thread["thread_id"]
        assert cron["user_id"] == ""
        assert cron["end_time"] is None
        assert cron["schedule"] == YEARLY
        assert cron["timezone"] is None
        assert cron["payload"] == {
            "schedule": YEARLY,
            "input": WEATHER,
            "assistant_id": AGENT_ID,
            "config": {"configurable": {"cron_id": cron["cron_id"]}},
        }
        assert datetime.fromisoformat(cron["next_run_date"]) == _next_yearly(before)
        assert cron["next_run_date"].endswith("+00:00")
        assert cron["metadata"] == {}
        assert cron["on_run_completed"] is None
        assert cron["enabled"] is True
        assert _is_iso_utc(cron["created_at"])
        assert cron["created_at"] == cron["updated_at"]
        assert before <= datetime.fromisoformat(cron["created_at"]) <= datetime.now(UTC)
        found = await _settled(lambda: client.crons.search(thread_id=thread["thread_id"]), [cron])
        assert found == [cron]
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_stateless_cron_shape_and_schedule_in_temporal(
    server_url: str, temporal: Client, deployment: Deployment
) -> None:
    client = get_client(url=server_url)
    cron = await client.crons.create(
        "agent", schedule="*/5 * * * *", input=WEATHER, metadata={"k": "v"}
    )
    try:
        assert cron["thread_id"] is None
        assert cron["on_run_completed"] == "delete"
        assert cron["metadata"] == {"k": "v"}
        assert cron["payload"]["metadata"] == {"k": "v"}
        next_run = datetime.fromisoformat(cron["next_run_date"])
        assert next_run.minute % 5 == 0 and next_run.second == 0
        assert datetime.now(UTC) < next_run <= datetime.now(UTC) + timedelta(minutes=5)
        # The Schedule is the record: its id is the cron id, and it starts
        # CronWorkflow on the deployment's task queue.
        description = await temporal.get_schedule_handle(cron["cron_id"]).describe()
        assert description.schedule.action.workflow == "CronWorkflow"
        assert description.schedule.action.task_queue == deployment.task_queue
        assert description.schedule.state.paused is False
        assert description.schedule.spec.time_zone_name is None
        pairs = {p.key.name: p.value for p in description.typed_search_attributes}
        assert pairs == {"LangGraphAssistantId": AGENT_ID, "LangGraphGraphId": "agent"}
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_one_minute_thread_cron_fires_a_run_on_its_thread(
    server_url: str, temporal: Client
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule="* * * * *", input=WEATHER, metadata={"from": "cron"}
    )
    try:
        await _fire(temporal, cron["cron_id"])
        runs = await _eventually(
            lambda: client.runs.list(thread["thread_id"]), "the cron's run on its thread"
        )
        run = runs[-1]  # the oldest: a minute may have fired another meanwhile
        await client.runs.join(thread["thread_id"], run["run_id"])
        run = await client.runs.get(thread["thread_id"], run["run_id"])
        assert run["status"] == "success"
        assert run["assistant_id"] == AGENT_ID
        assert run["metadata"]["from"] == "cron"
        assert run["kwargs"]["config"]["configurable"]["cron_id"] == cron["cron_id"]
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["messages"][-1]["content"].startswith("The weather in San Francisco")
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_stateless_cron_runs_on_a_new_thread_each_firing(
    server_url: str, temporal: Client
) -> None:
    client = get_client(url=server_url)
    kept = await client.crons.create(
        "agent", schedule=YEARLY, input=WEATHER, on_run_completed="keep"
    )
    deleted = await client.crons.create("agent", schedule=YEARLY, input=WEATHER)
    try:
        first = await _fired_run(temporal, kept["cron_id"])
        # A firing's workflow id ends with its time in seconds: two triggers
        # within one second would be one firing.
        await asyncio.sleep(1.1)
        second = await _fired_run(temporal, kept["cron_id"])
        assert first["thread_id"] != second["thread_id"]
        for fired in (first, second):
            await client.runs.join(fired["thread_id"], fired["run_id"])
            run = await client.runs.get(fired["thread_id"], fired["run_id"])
            assert run["status"] == "success"
            # on_run_completed="keep": the thread stays.
            assert (await client.threads.get(fired["thread_id"]))["thread_id"] == fired["thread_id"]

        fired = await _fired_run(temporal, deleted["cron_id"])
        # Joining reads the output, which lets the temporary thread go at once
        # (unread, it would stay for RunWorkflow's grace period).
        await client.runs.join(fired["thread_id"], fired["run_id"])

        async def thread_gone() -> bool:
            try:
                await client.threads.get(fired["thread_id"])
            except NotFoundError:
                return True
            return False

        # on_run_completed="delete" (the default): the run's thread goes afterwards.
        await _eventually(thread_gone, "the stateless cron's thread to be deleted")
    finally:
        await client.crons.delete(kept["cron_id"])
        await client.crons.delete(deleted["cron_id"])


async def test_a_refused_firing_fails_without_retrying(
    server_url: str, temporal: Client, tmp_path: Path
) -> None:
    """multitask_strategy="reject" on a busy thread: that firing fails with the
    service's Conflict, once, and creates no run."""
    client = get_client(url=server_url)
    thread = await client.threads.create()
    busy = await client.runs.create(
        thread["thread_id"], "slow", input=slow_input(tmp_path / "marks", 5)
    )
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input=WEATHER, multitask_strategy="reject"
    )
    try:
        workflow_id = await _fire(temporal, cron["cron_id"])
        with pytest.raises(WorkflowFailureError) as raised:
            await temporal.get_workflow_handle(workflow_id).result()
        cause = raised.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.type == "Conflict"
        history = await temporal.get_workflow_handle(workflow_id).fetch_history()
        started = [
            e for e in history.events if e.HasField("activity_task_started_event_attributes")
        ]
        assert [e.activity_task_started_event_attributes.attempt for e in started] == [1]
        assert [r["run_id"] for r in await client.runs.list(thread["thread_id"])] == [
            busy["run_id"]
        ]
    finally:
        await client.crons.delete(cron["cron_id"])
        await client.runs.cancel(thread["thread_id"], busy["run_id"])


async def test_firing_a_cron_whose_thread_was_deleted_fails(
    server_url: str, temporal: Client
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input=WEATHER
    )
    await client.threads.delete(thread["thread_id"])
    if not await client.crons.search(thread_id=thread["thread_id"]):
        return  # the thread's deletion took its crons along, as LangGraph Server's does
    try:
        workflow_id = await _fire(temporal, cron["cron_id"])
        with pytest.raises(WorkflowFailureError) as raised:
            await temporal.get_workflow_handle(workflow_id).result()
        assert isinstance(raised.value.cause, ApplicationError)
        assert raised.value.cause.type == "NotFound"
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_search_and_count_filter_sort_page_and_select(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    tag = {"test": uuid.uuid4().hex}
    on_thread = [
        await client.crons.create_for_thread(
            thread["thread_id"], graph, schedule=YEARLY, input={}, metadata=tag
        )
        for graph in ("agent", "slow", "agent")
    ]
    stateless = await client.crons.create("agent", schedule=YEARLY, input={}, metadata=tag)
    mine = [*on_thread, stateless]
    try:
        ids = _ids(mine)
        newest_first = _ids(list(reversed(on_thread)))
        by_thread = await _settled(
            lambda: _ids_of(client.crons.search(thread_id=thread["thread_id"])), newest_first
        )
        assert by_thread == newest_first  # newest first by default
        assert await _settled(lambda: client.crons.count(metadata=tag), 4) == 4
        assert await client.crons.count(thread_id=thread["thread_id"]) == 3

        agent_on_thread = await client.crons.search(
            thread_id=thread["thread_id"], assistant_id=AGENT_ID
        )
        assert {c["cron_id"] for c in agent_on_thread} == {ids[0], ids[2]}
        # A graph id stands for its default assistant.
        assert (
            len(await client.crons.search(thread_id=thread["thread_id"], assistant_id="slow")) == 1
        )
        assert await client.crons.count(thread_id=thread["thread_id"], assistant_id=AGENT_ID) == 2

        ascending = await client.crons.search(
            metadata=tag, sort_by="created_at", sort_order="asc", limit=2, offset=1
        )
        assert [c["cron_id"] for c in ascending] == ids[1:3]
        by_id = await client.crons.search(metadata=tag, sort_by="cron_id", sort_order="asc")
        assert [c["cron_id"] for c in by_id] == sorted(ids)
        selected = await client.crons.search(
            thread_id=thread["thread_id"], select=["cron_id", "schedule", "next_run_date"]
        )
        assert all(set(c) == {"cron_id", "schedule", "next_run_date"} for c in selected)
        assert await client.crons.search(thread_id=str(uuid.uuid4())) == []
    finally:
        for cron in mine:
            await client.crons.delete(cron["cron_id"])


async def test_search_metadata_filter_is_json_containment(server_url: str) -> None:
    """As LangGraph Server's jsonb `@>`: `true` is not `1`, arrays contain elements."""
    client = get_client(url=server_url)
    tag = {"test": uuid.uuid4().hex}
    flagged = await client.crons.create(
        "agent", schedule=YEARLY, input={}, metadata={**tag, "on": True, "tags": ["a", "b"]}
    )
    counted = await client.crons.create(
        "agent", schedule=YEARLY, input={}, metadata={**tag, "on": 1, "tags": ["b"]}
    )
    try:
        assert await _settled(lambda: client.crons.count(metadata=tag), 2) == 2
        assert _ids(await client.crons.search(metadata={**tag, "on": True})) == _ids([flagged])
        assert _ids(await client.crons.search(metadata={**tag, "on": 1})) == _ids([counted])
        assert await client.crons.count(metadata={**tag, "on": True}) == 1
        assert len(await client.crons.search(metadata={**tag, "tags": ["b"]})) == 2
        assert _ids(await client.crons.search(metadata={**tag, "tags": ["b", "a"]})) == _ids(
            [flagged]
        )
    finally:
        for cron in (flagged, counted):
            await client.crons.delete(cron["cron_id"])


async def test_search_pagination_headers(server_url: str, http: httpx.AsyncClient) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    made = [
        await client.crons.create_for_thread(thread["thread_id"], "agent", schedule=YEARLY)
        for _ in range(3)
    ]
    try:
        count = await _settled(lambda: client.crons.count(thread_id=thread["thread_id"]), 3)
        assert count == 3
        response = await http.post(
            "/runs/crons/search", json={"thread_id": thread["thread_id"], "limit": 2}
        )
        assert response.status_code == 200
        assert len(response.json()) == 2
        assert response.headers["X-Pagination-Total"] == "3"
        assert response.headers["X-Pagination-Next"] == "2"
    finally:
        for cron in made:
            await client.crons.delete(cron["cron_id"])


async def test_update_schedule_enabled_payload_and_end_time(
    server_url: str, temporal: Client, http: httpx.AsyncClient
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input=WEATHER, metadata={"a": 1}
    )
    cron_id = cron["cron_id"]
    try:
        updated = await client.crons.update(
            cron_id,
            schedule="30 6 * * *",
            timezone="America/New_York",
            input={"messages": []},
            metadata={"b": 2},
        )
        assert updated["schedule"] == "30 6 * * *"
        assert updated["timezone"] == "America/New_York"
        assert updated["payload"]["input"] == {"messages": []}
        assert updated["payload"]["schedule"] == "30 6 * * *"
        assert updated["payload"]["assistant_id"] == AGENT_ID
        assert updated["payload"]["config"]["configurable"]["cron_id"] == cron_id
        assert updated["metadata"] == {"a": 1, "b": 2}
        assert updated["created_at"] == cron["created_at"]
        assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(
            cron["updated_at"]
        )
        next_run = datetime.fromisoformat(updated["next_run_date"]).astimezone(
            ZoneInfo("America/New_York")
        )
        assert (next_run.hour, next_run.minute) == (6, 30)

        disabled = await client.crons.update(cron_id, enabled=False)
        assert disabled["enabled"] is False
        assert disabled["schedule"] == "30 6 * * *"  # untouched fields stay
        description = await temporal.get_schedule_handle(cron_id).describe()
        assert description.schedule.state.paused is True
        paused = await _settled(
            lambda: _ids_of(client.crons.search(thread_id=thread["thread_id"], enabled=False)),
            [cron_id],
        )
        assert paused == [cron_id]
        assert await client.crons.search(thread_id=thread["thread_id"], enabled=True) == []
        assert (await client.crons.update(cron_id, enabled=True))["enabled"] is True

        end = datetime.now(UTC) + timedelta(days=3)
        ending = await client.crons.update(cron_id, end_time=end)
        assert datetime.fromisoformat(ending["end_time"]) == end
        description = await temporal.get_schedule_handle(cron_id).describe()
        assert description.schedule.spec.end_at == end
        cleared = await client.crons.update(cron_id, end_time=None)
        assert cleared["end_time"] is None

        # An updated payload is what the next firing runs.
        got = await http.get(f"/runs/crons/{cron_id}")
        assert got.status_code == 200
        assert got.json() == {**cleared, "next_run_date": got.json()["next_run_date"]}
        response = await http.patch(f"/runs/crons/{cron_id}", json={})
        assert response.status_code == 400
        response = await http.patch(f"/runs/crons/{cron_id}", json={"schedule": "61 * * * *"})
        assert response.status_code == 422
        response = await http.patch(f"/runs/crons/{cron_id}", json={"timezone": "Mars/Base"})
        assert response.status_code == 422
        assert (await http.get(f"/runs/crons/{cron_id}")).json()["schedule"] == "30 6 * * *"
    finally:
        await client.crons.delete(cron_id)


async def test_updated_payload_is_used_by_the_next_firing(
    server_url: str, temporal: Client
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input={"messages": []}
    )
    try:
        await client.crons.update(cron["cron_id"], input=WEATHER, metadata={"v": 2})
        fired = await _fired_run(temporal, cron["cron_id"])
        assert fired["thread_id"] == thread["thread_id"]
        await client.runs.join(thread["thread_id"], fired["run_id"])
        run = await client.runs.get(thread["thread_id"], fired["run_id"])
        assert run["status"] == "success"
        assert run["kwargs"]["input"] == WEATHER
        assert run["metadata"]["v"] == 2
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_delete_removes_the_schedule(
    server_url: str, temporal: Client, http: httpx.AsyncClient
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    cron = await client.crons.create_for_thread(thread["thread_id"], "agent", schedule=YEARLY)
    await client.crons.delete(cron["cron_id"])
    # A deleted cron is never returned, even before the listing catches up.
    assert await client.crons.search(thread_id=thread["thread_id"]) == []
    assert await _settled(lambda: client.crons.count(thread_id=thread["thread_id"]), 0) == 0
    with pytest.raises(RPCError) as raised:
        await temporal.get_schedule_handle(cron["cron_id"]).describe()
    assert raised.value.status == RPCStatusCode.NOT_FOUND
    assert (await http.get(f"/runs/crons/{cron['cron_id']}")).status_code == 404
    with pytest.raises(NotFoundError):
        await client.crons.delete(cron["cron_id"])


async def test_time_zone_end_time_and_cron_day_semantics(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    zone = ZoneInfo("Asia/Kolkata")
    made = []
    try:
        in_zone = await client.crons.create_for_thread(
            thread["thread_id"], "agent", schedule="15 9 * * *", timezone=zone
        )
        made.append(in_zone)
        assert in_zone["timezone"] == "Asia/Kolkata"
        local = datetime.fromisoformat(in_zone["next_run_date"]).astimezone(zone)
        assert (local.hour, local.minute) == (9, 15)

        # Day of month OR day of week, as cron (and LangGraph Server) read it.
        either = await client.crons.create_for_thread(
            thread["thread_id"], "agent", schedule="0 0 13 * 5"
        )
        made.append(either)
        day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        day += timedelta(days=1)
        while day.day != 13 and day.weekday() != 4:
            day += timedelta(days=1)
        assert datetime.fromisoformat(either["next_run_date"]) == day

        # An end time already past is accepted (as LangGraph Server does): it never fires.
        ended = await client.crons.create_for_thread(
            thread["thread_id"],
            "agent",
            schedule="* * * * *",
            end_time=datetime.now(UTC) - timedelta(days=1),
        )
        made.append(ended)
        assert ended["next_run_date"] is None
    finally:
        for cron in made:
            await client.crons.delete(cron["cron_id"])


@pytest.mark.parametrize("schedule", ["not a cron", "61 * * * *", "* * * *", "*/0 * * * *"])
async def test_invalid_cron_expression_is_422_and_creates_nothing(
    server_url: str, schedule: str
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    with pytest.raises(UnprocessableEntityError, match="Invalid cron schedule"):
        await client.crons.create_for_thread(thread["thread_id"], "agent", schedule=schedule)
    with pytest.raises(UnprocessableEntityError, match="Invalid cron schedule"):
        await client.crons.create("agent", schedule=schedule)
    assert await client.crons.count(thread_id=thread["thread_id"]) == 0


async def test_bad_requests_are_4xx_never_500(server_url: str, http: httpx.AsyncClient) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    tid = thread["thread_id"]
    with pytest.raises(UnprocessableEntityError, match="Invalid timezone"):
        await client.crons.create_for_thread(tid, "agent", schedule=YEARLY, timezone="Mars/Base")
    with pytest.raises(NotFoundError, match=f"Thread with ID {UNKNOWN} not found"):
        await client.crons.create_for_thread(UNKNOWN, "agent", schedule=YEARLY)
    with pytest.raises(NotFoundError):
        await client.crons.create_for_thread(tid, UNKNOWN, schedule=YEARLY)
    with pytest.raises(UnprocessableEntityError, match="registered graphs"):
        await client.crons.create("no-such-graph", schedule=YEARLY)
    with pytest.raises(UnprocessableEntityError, match="Webhook"):
        await client.crons.create("agent", schedule=YEARLY, webhook="http://127.0.0.1/hook")
    assert await client.crons.count(thread_id=tid) == 0

    body = {"assistant_id": "agent", "schedule": YEARLY}
    response = await http.post("/threads/not-a-uuid/runs/crons", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid thread ID: must be a UUID"}
    response = await http.post("/runs/crons", json={"assistant_id": "agent"})
    assert response.status_code == 422
    for method in ("GET", "PATCH", "DELETE"):
        body = {"enabled": False} if method == "PATCH" else None
        response = await http.request(method, "/runs/crons/nope", json=body)
        assert response.status_code == 422, method
        assert response.json() == {"detail": "Invalid cron ID: must be a UUID"}
        response = await http.request(method, f"/runs/crons/{UNKNOWN}", json=body)
        assert response.status_code == 404, method
        assert response.json() == {"detail": f"Cron '{UNKNOWN}' not found"}
    response = await http.post("/runs/crons/search", json={"thread_id": "nope"})
    assert response.status_code == 422
    response = await http.post("/runs/crons/search", json={"sort_by": "nope"})
    assert response.status_code == 422
    response = await http.post("/runs/crons/count", json={"assistant_id": "nope"})
    assert response.status_code == 422
