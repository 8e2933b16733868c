"""Graph factories declaring `(config, runtime: ServerRuntime)` are called as
LangGraph Server calls them: for runs with the run's context, for reads
(schemas, drawing) and state updates with the matching access context, always
with the server's store."""

from __future__ import annotations

from pathlib import Path

from harness import ROOT, Deployment
from langgraph_sdk import get_client

from steadygraph.dev.temporal_server import EmbeddedTemporal

PROJECT = ROOT / "tests" / "projects" / "runtime_factory" / "langgraph.json"


async def test_factory_with_config_and_server_runtime(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    deployment = Deployment(temporal_server.address, tmp_path / "deploy", config=PROJECT)
    deployment.start()
    try:
        client = get_client(url=deployment.url)
        assistant = await client.assistants.create(
            "agent", config={"configurable": {"tag": "from-assistant"}}
        )
        thread = await client.threads.create()
        result = await client.runs.wait(
            thread["thread_id"],
            assistant["assistant_id"],
            input={"value": "hi"},
            context={"user": "ann"},
        )
        assert result == {"value": "hi!", "tag": "from-assistant"}

        await client.threads.update_state(thread["thread_id"], {"value": "edited"}, as_node="step")

        # Reads: the worker described the graph through the factory.
        graph = await client.assistants.get_graph(assistant["assistant_id"])
        assert {node["id"] for node in graph["nodes"]} >= {"step"}
        schemas = await client.assistants.get_schemas(assistant["assistant_id"])
        assert "value" in schemas["state_schema"]["properties"]

        calls = {
            item["key"]: item["value"]
            for item in (await client.store.search_items(["factory_calls"], limit=10))["items"]
        }
        # The run's context over the assistant's (which mirrors its configurable).
        assert calls["threads.create_run"] == {
            "context": {"tag": "from-assistant", "user": "ann"},
            "tag": "from-assistant",
        }
        assert calls["assistants.read"] == {"context": None, "tag": None}
        assert calls["threads.update"]["context"] is None
    finally:
        deployment.stop()
