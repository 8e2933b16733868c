"""A graph that raises: bounded retries, then a clean `error` on run and thread."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from langgraph_sdk import get_client
from markers import read_marks

FLAKY_ERROR = {"error": "FlakyError", "message": "flaky node failed on purpose"}


async def test_failing_node_is_retried_a_bounded_number_of_times_then_errors(
    server_url: str, tmp_path: Path
) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    marker = tmp_path / "marks.txt"
    run = await client.runs.create(thread["thread_id"], "flaky", input={"marker_file": str(marker)})

    joined = await client.runs.join(thread["thread_id"], run["run_id"])

    assert joined == {"__error__": FLAKY_ERROR}
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "error"
    failed_thread = await client.threads.get(thread["thread_id"])
    assert failed_thread["status"] == "error"
    assert failed_thread["error"] == FLAKY_ERROR
    assert failed_thread["values"] == {"visited": ["start"], "marker_file": str(marker)}
    # STEADYGRAPH_STEP_MAX_ATTEMPTS=3 in the test deployment; `start` is not re-run.
    assert Counter(read_marks(marker)) == {"start": 1, "fail": 3}


async def test_wait_on_a_failing_run_raises_in_the_sdk(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    with pytest.raises(Exception, match="FlakyError"):
        await client.runs.wait(thread["thread_id"], "flaky", input={})
    result = await client.runs.wait(thread["thread_id"], "flaky", input={}, raise_error=False)
    assert result == {"__error__": FLAKY_ERROR}


async def test_bad_input_ends_the_run_in_error_not_a_hang(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    result = await client.runs.wait(
        thread["thread_id"], "agent", input={"messages": 5}, raise_error=False
    )
    assert set(result) == {"__error__"}
    assert (await client.threads.get(thread["thread_id"]))["status"] == "error"


async def test_successful_run_after_a_failure_resets_the_thread(server_url: str) -> None:
    client = get_client(url=server_url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "agent", input={"messages": 5}, raise_error=False)
    result = await client.runs.wait(
        thread["thread_id"],
        "agent",
        input={"messages": [{"role": "human", "content": "what's the weather in sf"}]},
    )
    assert result["messages"][-1]["type"] == "ai"
    recovered = await client.threads.get(thread["thread_id"])
    assert recovered["status"] == "idle" and recovered["error"] is None
