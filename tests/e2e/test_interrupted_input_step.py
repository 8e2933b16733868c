"""A worker that dies inside LangGraph's input step leaves the run's input
stored (LangGraph's "input" checkpoint with its pending writes) but not yet
applied. The next attempt must finish that step and run the graph, never end
the run as a success with nothing run (found by the chaos test)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from harness import Deployment
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph_sdk import get_client
from markers import read_marks
from slow import builder
from tests_support import slow_input

from steadygraph.dev.temporal_server import EmbeddedTemporal


async def test_a_run_whose_input_step_was_cut_short_runs_its_graph(
    temporal_server: EmbeddedTemporal, tmp_path: Path
) -> None:
    # The API alone: the run is accepted and waits for a worker.
    deployment = Deployment(temporal_server.address, tmp_path / "deploy")
    deployment.start_api()
    try:
        client = get_client(url=deployment.url)
        thread_id = (await client.threads.create())["thread_id"]
        marker = tmp_path / "marks.txt"
        run = await client.runs.create(thread_id, "slow", input=slow_input(marker, 0))

        # What a worker killed mid input step leaves behind: LangGraph's input
        # checkpoint of this run, without the checkpoint that applies it.
        checkpoints = tmp_path / "deploy" / "checkpoints.sqlite"
        async with AsyncSqliteSaver.from_conn_string(str(checkpoints)) as saver:
            graph = builder.compile(checkpointer=saver)
            config = {
                "configurable": {"thread_id": thread_id},
                "metadata": {"run_id": run["run_id"]},
            }
            async for _ in graph.astream(slow_input(marker, 0), config, interrupt_before="*"):
                pass
        with sqlite3.connect(checkpoints) as db:
            (applied,) = db.execute(
                "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? "
                "ORDER BY checkpoint_id DESC LIMIT 1",
                (thread_id,),
            ).fetchone()
            db.execute("DELETE FROM checkpoints WHERE checkpoint_id = ?", (applied,))
            db.execute("DELETE FROM writes WHERE checkpoint_id = ?", (applied,))
            sources = [
                row[0]
                for row in db.execute(
                    "SELECT json_extract(metadata, '$.source') FROM checkpoints "
                    "WHERE thread_id = ?",
                    (thread_id,),
                )
            ]
        assert sources == ["input"]

        deployment.start_worker()
        await client.runs.join(thread_id, run["run_id"])
        assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
        state = await client.threads.get_state(thread_id)
        assert state["values"]["visited"] == ["step1", "step2", "step3"]
        # The input was applied once, and every node ran once.
        assert read_marks(marker).count("step1:start") == 1
    finally:
        deployment.stop()
