"""Time travel: a run resumed from an earlier checkpoint (input None) replays
from there, and the thread's history lists the new branch beside the original,
as LangGraph Server keeps it."""

from __future__ import annotations

from langgraph_sdk import get_client


async def test_rerun_from_an_earlier_checkpoint_appends_the_branch_to_history(
    server_url: str,
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    thread_id = thread["thread_id"]
    first = await client.runs.wait(thread_id, "slow", input={"visited": []})
    assert first["visited"] == ["step1", "step2", "step3"]
    original = await client.threads.get_history(thread_id, limit=100)
    fork = next(state for state in original if state["next"] == ["step2"])

    again = await client.runs.wait(
        thread_id, "slow", input=None, checkpoint_id=fork["checkpoint"]["checkpoint_id"]
    )
    assert again["visited"] == ["step1", "step2", "step3"]

    history = await client.threads.get_history(thread_id, limit=100)
    original_ids = [s["checkpoint"]["checkpoint_id"] for s in original]
    branch = history[: len(history) - len(original)]
    # The original checkpoints are all still listed, after the new ones.
    assert [s["checkpoint"]["checkpoint_id"] for s in history[len(branch) :]] == original_ids
    # The branch, newest first: LangGraph's "fork" copy of the fork point, then
    # step2 and step3 ran again.
    assert [s["next"] for s in branch] == [[], ["step3"], ["step2"]]
    assert branch[-1]["metadata"]["source"] == "fork"
    assert branch[-1]["parent_checkpoint"]["checkpoint_id"] == fork["checkpoint"]["checkpoint_id"]
    assert branch[0]["values"]["visited"] == ["step1", "step2", "step3"]
    state = await client.threads.get_state(thread_id)
    assert state["checkpoint"]["checkpoint_id"] == branch[0]["checkpoint"]["checkpoint_id"]
