"""A bounded fuzz run of the whole API: Schemathesis (its `st` CLI) generates
requests from `/openapi.json` — the documents' examples, then valid and invalid
fuzzed data — and every answer must be no 5xx, arrive within a bound, and leave
the records that were there before as they were.

It runs on a deployment of its own (per backend): the fuzzer rightly deletes
what it finds, system assistants included, which the rest of the suite uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from harness import Deployment, fresh_postgres_database

from steadygraph.dev.temporal_server import EmbeddedTemporal

HOOKS = Path(__file__).with_name("fuzz_hooks.py")
SEED = 20260101
EXAMPLES_PER_OPERATION = 20
# The longest any answer may take: above the API's own bounded waits (a state
# update behind a run answers after 10 s) with room for a loaded 2-core machine.
SLOW_ANSWER_S = 20
# The whole `st` run, so a hang or a slowdown fails the test instead of the suite.
FUZZ_BUDGET_S = 210

# Timing-sensitive under load: `make test` runs it alone, after the parallel tests.
pytestmark = pytest.mark.serial


@pytest.fixture(scope="module")
def fuzz_deployment(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    with ExitStack() as stack:
        env = {}
        if database_url is not None:  # the PostgreSQL backend: a database of its own
            env["STEADYGRAPH_DATABASE_URL"] = stack.enter_context(fresh_postgres_database())
        deployment = Deployment(
            temporal_server.address, tmp_path_factory.mktemp("fuzz"), extra_env=env
        )
        stack.callback(deployment.stop)
        yield deployment.start()


def _snapshot(http: httpx.Client, thread_id: str, assistant_id: str) -> dict[str, Any]:
    return {
        "thread": http.get(f"/threads/{thread_id}").json(),
        "state": http.get(f"/threads/{thread_id}/state").json(),
        "history": http.post(f"/threads/{thread_id}/history", json={"limit": 100}).json(),
        "runs": http.get(f"/threads/{thread_id}/runs").json(),
        "assistant": http.get(f"/assistants/{assistant_id}").json(),
        "versions": http.post(f"/assistants/{assistant_id}/versions", json={}).json(),
    }


def _run_on(http: httpx.Client, assistant_id: str, visited: list[str]) -> dict[str, Any]:
    thread = http.post("/threads", json={"metadata": {"fuzz": "sentinel"}}).json()
    output = http.post(
        f"/threads/{thread['thread_id']}/runs/wait",
        json={"assistant_id": assistant_id, "input": {"visited": visited}},
    )
    assert output.status_code == 200, output.text
    assert output.json()["visited"] == [*visited, "step1", "step2", "step3"]
    return thread


def _delete_crons(http: httpx.Client) -> None:
    # Crons are Temporal Schedules on the session's Temporal server: they would
    # keep firing after this deployment is gone.
    while crons := http.post("/runs/crons/search", json={"limit": 1000}).json():
        for cron in crons:
            http.delete(f"/runs/crons/{cron['cron_id']}")


def _har_entries(har: Path) -> list[dict[str, Any]]:
    """The requests in the fuzzer's HAR report, which it writes as it goes: a
    run cut short leaves a report without its closing brackets."""
    text = har.read_text() if har.exists() else ""
    start = text.find("[", text.find('"entries"'))
    if start < 0:
        return []
    decoder, position, entries = json.JSONDecoder(), start + 1, []
    while True:
        while position < len(text) and text[position] in " ,\r\n\t":
            position += 1
        try:
            entry, position = decoder.raw_decode(text, position)
        except ValueError:
            return entries
        entries.append(entry)


def _unanswered(calls: Path) -> str:
    """Requests the fuzzer sent and got no answer to (from fuzz_hooks' call log)."""
    started: dict[str, str] = {}
    for line in calls.read_text().splitlines() if calls.exists() else []:
        key, what, rest = [*line.split(" ", 2), "", ""][:3]
        if what == "start":
            started[key] = rest
        else:
            started.pop(key, None)
    return "\n".join(started.values()) or "(none)"


def _slowest_requests(har: Path, count: int = 15) -> str:
    """What the fuzzer waited for longest."""
    entries = sorted(_har_entries(har), key=lambda entry: -entry["time"])
    return (
        "\n".join(
            f"{entry['time']:.0f} ms {entry['request']['method']} {entry['request']['url'][:120]}"
            f" -> {entry['response']['status']}"
            for entry in entries[:count]
        )
        or "(no request finished)"
    )


def test_fuzzing_the_api_finds_no_server_error_no_hang_and_loses_nothing(
    fuzz_deployment: Deployment, tmp_path: Path
) -> None:
    url = fuzz_deployment.url
    with httpx.Client(base_url=url, timeout=60) as http:
        assistant = http.post(
            "/assistants",
            json={"graph_id": "slow", "name": "sentinel", "metadata": {"fuzz": "sentinel"}},
        ).json()
        thread = _run_on(http, assistant["assistant_id"], ["before"])
        ids = (thread["thread_id"], assistant["assistant_id"])
        before = _snapshot(http, *ids)

        har = tmp_path / "requests.har"
        calls = tmp_path / "calls.log"
        command = [
            str(Path(sys.executable).with_name("st")),
            "run",
            f"{url}/openapi.json",
            "--phases=examples,fuzzing",
            f"--max-examples={EXAMPLES_PER_OPERATION}",
            f"--seed={SEED}",
            "--workers=2",
            "--checks=not_a_server_error",
            f"--max-response-time={SLOW_ANSWER_S}",
            f"--request-timeout={SLOW_ANSWER_S + 10}",
            "--generation-database=none",
            "--no-color",
            "--report=har",
            f"--report-har-path={har}",
        ]
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": str(HOOKS),
            "STEADYGRAPH_FUZZ_PROTECTED": ",".join(ids),
            "STEADYGRAPH_FUZZ_CALL_LOG": str(calls),
        }
        try:
            fuzz = subprocess.run(
                command,
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=FUZZ_BUDGET_S,
            )
        except subprocess.TimeoutExpired as exc:
            output = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout
            pytest.fail(
                f"fuzzing took over {FUZZ_BUDGET_S} s:\n{(output or '')[-6000:]}\n"
                f"slowest requests:\n{_slowest_requests(har)}\n"
                f"requests never answered:\n{_unanswered(calls)}"
            )
        finally:
            _delete_crons(http)
        assert fuzz.returncode == 0, f"{fuzz.stdout[-8000:]}\n{fuzz.stderr[-2000:]}"
        assert " passed" in fuzz.stdout  # it did test something

        # Nothing that was there before changed, and the deployment still runs graphs.
        assert _snapshot(http, *ids) == before
        _run_on(http, assistant["assistant_id"], ["after"])
