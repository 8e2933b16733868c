"""GET /threads/{id}/storage: the bytes a thread's checkpoints occupy, as stored."""

from __future__ import annotations

import httpx
from langgraph_sdk import get_client

from steadygraph.ids import new_id

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
SECTIONS = ("checkpoints", "channel_values", "pending_writes")


async def test_thread_storage_counts_the_checkpoints_of_its_runs(
    server_url: str, database_url: str | None
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        empty = (await http.get(f"/threads/{thread['thread_id']}/storage")).json()
        assert empty["total_bytes"] == 0
        assert empty["checkpoints"] == {"count": 0, "bytes": 0}

        await client.runs.wait(thread["thread_id"], "agent", input=WEATHER)
        used = await http.get(f"/threads/{thread['thread_id']}/storage")
    assert used.status_code == 200
    usage = used.json()
    assert usage["thread_id"] == thread["thread_id"]
    assert usage["total_bytes"] == sum(usage[s]["bytes"] for s in SECTIONS)
    # One checkpoint per super-step at least: input, agent, tools, agent.
    assert usage["checkpoints"]["count"] >= 4 and usage["checkpoints"]["bytes"] > 0
    by_channel = usage["channel_values"]["by_channel"]
    if database_url:  # PostgreSQL keeps one row per channel version
        assert by_channel["messages"]["versions"] >= 4
        assert by_channel["messages"]["bytes"] > 0
        assert usage["channel_values"]["count"] == sum(c["versions"] for c in by_channel.values())
    else:  # SQLite keeps channel values inside each checkpoint row
        assert usage["channel_values"] == {"count": 0, "bytes": 0, "by_channel": {}}


async def test_thread_storage_of_an_unknown_or_invalid_thread(server_url: str) -> None:
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        assert (await http.get(f"/threads/{new_id()}/storage")).status_code == 404
        invalid = await http.get("/threads/not-a-uuid/storage")
        assert invalid.status_code == 422
        assert invalid.json() == {"detail": "Invalid thread ID: must be a UUID"}
