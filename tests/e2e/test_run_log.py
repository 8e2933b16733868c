"""The worker's default text log has one line per run start and one per run
end, with the run, thread and graph ids, the status and the duration."""

from __future__ import annotations

import re

from harness import Deployment, wait_until
from langgraph_sdk import get_client


async def test_run_start_and_end_are_logged(deployment: Deployment) -> None:
    client = get_client(url=deployment.url)
    thread = await client.threads.create()
    input = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}
    run = await client.runs.create(thread["thread_id"], "agent", input=input)
    await client.runs.join(thread["thread_id"], run["run_id"])

    run_id, thread_id = run["run_id"], thread["thread_id"]
    ended = re.compile(
        rf"run {run_id} ended: status=success thread={thread_id} graph=agent "
        r"duration=(\d+\.\d{3})s"
    )

    def log() -> str:  # the whole file: other tests share this worker
        return (deployment.data_dir / "worker.log").read_text(errors="replace")

    wait_until(lambda: ended.search(log()), 30, "the run's end line")
    text = log()
    assert f"run {run_id} started: thread={thread_id} graph=agent" in text
    match = ended.search(text)
    assert match is not None and 0 < float(match.group(1)) < 60
