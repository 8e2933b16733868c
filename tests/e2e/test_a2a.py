"""Every assistant as an A2A agent, through the real `a2a-sdk` client and its
JSON-RPC wire format: each task is an ordinary durable run on the thread its
contextId names."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from a2a.client import A2ACardResolver, Client, ClientConfig, ClientFactory
from a2a.client.errors import A2AClientJSONRPCError
from a2a.types import (
    AgentCard,
    DataPart,
    Message,
    Part,
    Role,
    Task,
    TaskArtifactUpdateEvent,
    TaskIdParams,
    TaskQueryParams,
    TaskState,
    TaskStatusUpdateEvent,
    TextPart,
)
from harness import ACTIVITY_STEPS_ENV, Deployment
from langgraph_sdk import get_client
from markers import read_marks
from tests_support import slow_input, wait_for_mark

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.ids import system_assistant_id

AGENT_ID = system_assistant_id("agent")
SF_ANSWER = "The weather in San Francisco is 60 degrees and foggy."


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server_url, timeout=120) as client:
        yield client


def _agent_url(http: httpx.AsyncClient, assistant: str) -> str:
    return f"{str(http.base_url).rstrip('/')}/a2a/{assistant}"


async def _a2a_client(http: httpx.AsyncClient, graph_id: str, *, streaming: bool) -> Client:
    config = ClientConfig(httpx_client=http, streaming=streaming)
    return await ClientFactory.connect(_agent_url(http, graph_id), client_config=config)


def _text(text: str, **ids: str) -> Message:
    return Message(
        role=Role.user, parts=[Part(root=TextPart(text=text))], message_id=uuid4().hex, **ids
    )


def _data(data: dict[str, Any], **ids: str) -> Message:
    return Message(
        role=Role.user, parts=[Part(root=DataPart(data=data))], message_id=uuid4().hex, **ids
    )


async def _send(client: Client, message: Message) -> Task:
    events = [event async for event in client.send_message(message)]
    assert len(events) == 1
    task, update = events[0]
    assert update is None
    return task


async def _rpc(
    http: httpx.AsyncClient, graph_id: str, method: str, params: dict[str, Any]
) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": uuid4().hex, "method": method, "params": params}
    response = await http.post(f"/a2a/{graph_id}", json=body)
    assert response.status_code == 200
    return response.json()


def _texts(parts: list[Part]) -> list[str]:
    return [part.root.text for part in parts if isinstance(part.root, TextPart)]


async def test_agent_card(http: httpx.AsyncClient) -> None:
    resolver = A2ACardResolver(http, _agent_url(http, AGENT_ID))
    card = await resolver.get_agent_card()
    assert card.name == "agent"
    assert card.description
    assert card.url == _agent_url(http, AGENT_ID)
    assert card.capabilities.streaming is True
    assert card.skills and card.skills[0].tags
    assert "text/plain" in card.default_input_modes
    # The domain-root card names the assistant by query, by UUID or graph id.
    root = await http.get("/.well-known/agent-card.json", params={"assistant_id": "agent"})
    assert AgentCard.model_validate(root.json()) == card
    missing = await http.get("/.well-known/agent-card.json")
    assert missing.status_code == 400


async def test_message_send_and_a_conversation_continued_by_context_id(
    http: httpx.AsyncClient, server_url: str
) -> None:
    client = await _a2a_client(http, AGENT_ID, streaming=False)
    task = await _send(client, _text("what's the weather in sf"))
    assert task.status.state == TaskState.completed
    assert task.artifacts and _texts(task.artifacts[0].parts) == [SF_ANSWER]
    assert [m.role for m in task.history or []] == [Role.user, Role.agent]

    follow_up = await _send(client, _text("and in sf again?", context_id=task.context_id))
    assert follow_up.context_id == task.context_id
    assert follow_up.id != task.id
    assert [m.role for m in follow_up.history or []] == [Role.user, Role.agent] * 2
    # The context is the thread: both turns are on it, as with any client.
    thread = await get_client(url=server_url).threads.get(task.context_id)
    assert len(thread["values"]["messages"]) == 8

    fetched = await client.get_task(TaskQueryParams(id=task.id, history_length=1))
    assert fetched.status.state == TaskState.completed
    assert fetched.history and len(fetched.history) == 1
    assert fetched.artifacts and _texts(fetched.artifacts[0].parts) == [SF_ANSWER]


async def test_message_stream(http: httpx.AsyncClient) -> None:
    client = await _a2a_client(http, AGENT_ID, streaming=True)
    events, seen_states = [], []
    async for task, update in client.send_message(_text("what's the weather in sf")):
        # The client updates one Task object in place: note its state as it was.
        events.append((task, update))
        seen_states.append(task.status.state)
    assert events[0][1] is None
    assert seen_states[0] == TaskState.submitted
    updates = [update for _, update in events[1:]]
    states = [u.status.state for u in updates if isinstance(u, TaskStatusUpdateEvent)]
    assert states[0] == TaskState.working and states[-1] == TaskState.completed
    artifacts = [u for u in updates if isinstance(u, TaskArtifactUpdateEvent)]
    assert _texts(artifacts[-1].artifact.parts) == [SF_ANSWER]
    final = updates[-1]
    assert isinstance(final, TaskStatusUpdateEvent) and final.final
    # The agent's words came through as they were written, before the end.
    spoken = [
        text
        for u in updates
        if isinstance(u, TaskStatusUpdateEvent) and u.status.message
        for text in _texts(u.status.message.parts)
    ]
    assert SF_ANSWER in spoken


async def test_input_required_for_interrupt_and_its_answer(http: httpx.AsyncClient) -> None:
    client = await _a2a_client(http, "hitl", streaming=False)
    task = await _send(client, _data({"request": "deploy"}))
    assert task.status.state == TaskState.input_required
    assert task.status.message is not None
    asked = task.status.message.parts[0].root
    assert isinstance(asked, DataPart)
    assert asked.data["value"]["question"] == "Do you approve this request?"

    # The answer continues the same task, on the same context.
    answered = await _send(client, _text("yes", task_id=task.id, context_id=task.context_id))
    assert answered.id == task.id
    assert answered.status.state == TaskState.completed
    result = answered.artifacts[0].parts[0].root
    assert isinstance(result, DataPart)
    assert result.data["result"] == "done" and result.data["approved"] is True

    # A finished task takes no more answers.
    again = await _rpc(
        http,
        "hitl",
        "message/send",
        {"message": _text("yes", task_id=task.id).model_dump(mode="json", exclude_none=True)},
    )
    assert again["error"]["code"] == -32004


async def test_tasks_cancel_cancels_the_runs_workflow(
    http: httpx.AsyncClient, server_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "marks.txt"
    started = await _rpc(
        http,
        "slow",
        "message/send",
        {
            "message": _data(slow_input(marker, 60)).model_dump(mode="json", exclude_none=True),
            "configuration": {"blocking": False},
        },
    )
    task = started["result"]
    assert task["status"]["state"] in ("submitted", "working")
    await wait_for_mark(marker, "step2:start")

    canceled = await _rpc(http, "slow", "tasks/cancel", {"id": task["id"]})
    assert canceled["result"]["status"]["state"] == "canceled"
    assert "step2:end" not in read_marks(marker)
    run = await get_client(url=server_url).runs.get(task["contextId"], task["id"])
    assert run["status"] == "interrupted"

    again = await _rpc(http, "slow", "tasks/cancel", {"id": task["id"]})
    assert again["error"]["code"] == -32002


async def test_text_to_a_graph_without_messages_is_a_clear_error(
    http: httpx.AsyncClient,
) -> None:
    sent = await _rpc(
        http,
        "slow",
        "message/send",
        {"message": _text("hello").model_dump(mode="json", exclude_none=True)},
    )
    assert sent["error"]["code"] == -32602
    assert "messages" in sent["error"]["message"]


async def test_protocol_errors(http: httpx.AsyncClient) -> None:
    unknown = await _rpc(http, "agent", "tasks/teleport", {})
    assert unknown["error"]["code"] == -32601

    missing_task = await _rpc(http, "agent", "tasks/get", {"id": str(uuid4())})
    assert missing_task["error"]["code"] == -32001

    no_message = await _rpc(http, "agent", "message/send", {})
    assert no_message["error"]["code"] == -32602

    garbled = await http.post("/a2a/agent", content=b"{nope")
    assert garbled.json()["error"]["code"] == -32700
    assert garbled.json()["id"] is None

    not_rpc = await http.post("/a2a/agent", json={"id": 1, "method": "tasks/get"})
    assert not_rpc.json()["error"]["code"] == -32600

    client = await _a2a_client(http, AGENT_ID, streaming=False)
    with pytest.raises(A2AClientJSONRPCError) as raised:
        await client.cancel_task(TaskIdParams(id=str(uuid4())))
    assert raised.value.error.code == -32001

    nobody = await http.post(
        f"/a2a/{uuid4()}", json={"jsonrpc": "2.0", "id": 1, "method": "tasks/get"}
    )
    assert nobody.status_code == 404


async def test_message_send_survives_a_killed_worker(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    # Activity steps: the killed worker is noticed in 2 s (heartbeat).
    env = {**ACTIVITY_STEPS_ENV, "STEADYGRAPH_STEP_HEARTBEAT_TIMEOUT": "2"}
    if database_url:
        env["STEADYGRAPH_DATABASE_URL"] = database_url
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", extra_env=env).start()
    try:
        marker = tmp_path / "marks.txt"
        message = _data(slow_input(marker, 3.0)).model_dump(mode="json", exclude_none=True)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=120) as http:
            sending = asyncio.create_task(_rpc(http, "slow", "message/send", {"message": message}))
            await wait_for_mark(marker, "step2:start")
            deployment.kill_worker(deployment.workers[0])
            assert "step2:end" not in read_marks(marker)
            deployment.start_worker()
            answer = await asyncio.wait_for(sending, 90)
        task = answer["result"]
        assert task["status"]["state"] == "completed"
        output = task["artifacts"][0]["parts"][0]["data"]
        assert output["visited"] == ["step1", "step2", "step3"]
        counts = Counter(read_marks(marker))
        # Finished steps ran once; the step the kill interrupted ran again, once.
        assert counts["step1:end"] == 1 and counts["step3:end"] == 1
        assert counts["step2:start"] == 2 and counts["step2:end"] == 1
    finally:
        deployment.stop()


def test_task_json_round_trips_through_the_sdk_types() -> None:
    # The shapes the server sends are the SDK's: one sample, checked offline.
    sample = {
        "kind": "task",
        "id": "t",
        "contextId": "c",
        "status": {"state": "input-required"},
        "artifacts": [{"artifactId": "a", "parts": [{"kind": "data", "data": {"id": "i"}}]}],
    }
    assert Task.model_validate(json.loads(json.dumps(sample))).status.state == (
        TaskState.input_required
    )
