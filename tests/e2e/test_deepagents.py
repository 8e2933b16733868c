"""A `deepagents` agent (scripted model) served by Steadygraph and streamed with
`stream_subgraphs=True`: its subagent's steps arrive under the subgraph's namespace."""

from __future__ import annotations

from pathlib import Path

from harness import ROOT, Deployment
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal
from steadygraph.graph.loading import import_file

PROJECT = ROOT / "tests" / "projects" / "deepagent"
# Under a name unique to its path: the module is the project's, not ours.
_agent = import_file(PROJECT / "agent.py")
FINAL_ANSWER, QUESTION, SUB_ANSWER = _agent.FINAL_ANSWER, _agent.QUESTION, _agent.SUB_ANSWER


async def test_deep_agent_streams_its_subagent(
    temporal_server: EmbeddedTemporal, database_url: str | None, tmp_path: Path
) -> None:
    deployment = Deployment(
        temporal_server.address,
        tmp_path / "deploy",
        config=PROJECT / "langgraph.json",
        extra_env={"STEADYGRAPH_DATABASE_URL": database_url} if database_url else {},
    )
    deployment.start()
    try:
        client = get_client(url=deployment.url)
        thread = await client.threads.create()
        events = [
            (part.event, part.data)
            async for part in client.runs.stream(
                thread["thread_id"],
                "deep",
                input={"messages": [{"role": "user", "content": QUESTION}]},
                stream_mode=["updates", "values"],
                stream_subgraphs=True,
            )
        ]
        names = [event for event, _ in events]
        assert names[0] == "metadata"
        sub = [(e, d) for e, d in events if e.startswith("updates|tools:")]
        assert sub, names
        sub_messages = [
            message["content"]
            for _, data in sub
            for update in data.values()
            if isinstance(update, dict)
            for message in update.get("messages", [])
        ]
        assert SUB_ANSWER in sub_messages
        final = [d for e, d in events if e == "values"][-1]
        assert final["messages"][-1]["content"] == FINAL_ANSWER
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["messages"][-1]["content"] == FINAL_ANSWER
        tool_message = next(m for m in state["values"]["messages"] if m["type"] == "tool")
        assert tool_message["content"] == SUB_ANSWER
    finally:
        deployment.stop()
