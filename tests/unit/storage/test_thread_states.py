"""The thread's head state and its per-checkpoint states, as the worker saves
them after each super-step, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import uuid
from typing import Any

from tests_support import pending_run

from steadygraph.storage import Storage


def _state(checkpoint_id: str, visited: list[str]) -> dict[str, Any]:
    return {
        "values": {"visited": visited},
        "next": [],
        "tasks": [],
        "checkpoint_id": checkpoint_id,
        "parent_checkpoint_id": None,
        "metadata": {"run_id": "r1"},
        "created_at": "2026-12-01T21:00:00+00:00",
    }


async def test_the_head_moves_forward_and_a_late_older_save_neither_moves_it_back_nor_fails(
    storage: Storage,
) -> None:
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    # Checkpoint ids are time-ordered (UUIDv6): "...-2" is newer than "...-1".
    first = _state("1f0c8e2a-0000-6000-8000-000000000001", ["a"])
    second = _state("1f0c8e2a-0000-6000-8000-000000000002", ["a", "b"])

    await storage.save_thread_states(thread_id, first, [first])
    assert (await storage.get_thread_state(thread_id))["values"] == {"visited": ["a"]}
    await storage.save_thread_states(thread_id, second, [second])
    # A late attempt of the first step reports the first checkpoint again.
    await storage.save_thread_states(thread_id, first, [first])

    assert (await storage.get_thread_state(thread_id))["checkpoint_id"] == second["checkpoint_id"]
    history = await storage.checkpoints.history(thread_id)
    assert [s["checkpoint_id"] for s in history] == [
        second["checkpoint_id"],
        first["checkpoint_id"],
    ]
    assert history[1]["values"] == {"visited": ["a"]}  # the stored one, not overwritten
    assert (await storage.get_thread(thread_id))["values"] == {"visited": ["a", "b"]}


async def test_a_thread_with_no_state_yet_takes_the_first_head(storage: Storage) -> None:
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    head = _state("1f0c8e2a-0000-6000-8000-000000000009", ["x"])
    await storage.save_thread_states(thread_id, head, [])
    assert (await storage.get_thread_state(thread_id))["checkpoint_id"] == head["checkpoint_id"]
    assert await storage.checkpoints.history(thread_id) == []


async def test_a_steps_last_events_are_written_with_its_state(storage: Storage) -> None:
    """The worker hands a step's unwritten stream events to the state's save:
    one transaction, numbered after the events the step flushed before."""
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    run_id = await pending_run(storage, thread_id)
    await storage.append_events(run_id, [("values", b'{"n": 1}')])
    head = _state("1f0c8e2a-0000-6000-8000-000000000011", ["a"])
    last = [("updates", b'{"n": 2}'), ("values", b'{"n": 3}')]
    await storage.save_thread_states(thread_id, head, [head], streamed=(run_id, last))

    assert (await storage.get_thread_state(thread_id))["checkpoint_id"] == head["checkpoint_id"]
    assert await storage.read_events(run_id, 0) == [
        (1, "values", b'{"n": 1}'),
        (2, "updates", b'{"n": 2}'),
        (3, "values", b'{"n": 3}'),
    ]
    # Nothing streamed: no event written.
    await storage.save_thread_states(thread_id, head, [], streamed=(run_id, []))
    assert len(await storage.read_events(run_id, 0)) == 3


async def test_the_runs_last_step_records_its_success_with_its_state(storage: Storage) -> None:
    """After a run's last super-step the worker saves the state and the run's
    end in one transaction: the run has succeeded and the thread is idle,
    showing that state's values."""
    thread_id = str(uuid.uuid4())
    await storage.create_thread(thread_id, {})
    run_id = await pending_run(storage, thread_id)
    assert await storage.mark_run_running(run_id) is not None
    head = _state("1f0c8e2a-0000-6000-8000-000000000021", ["a", "b"])
    last = [("values", b'{"n": 1}')]

    finished = await storage.save_thread_states(
        thread_id, head, [head], streamed=(run_id, last), finish_run=run_id
    )

    assert finished is not None and finished.ended_at and finished.started_at
    run = await storage.get_run(run_id)
    assert run is not None and run["status"] == "success"
    thread = await storage.get_thread(thread_id)
    assert thread is not None
    assert (thread["status"], thread["values"]) == ("idle", {"visited": ["a", "b"]})
    assert await storage.read_events(run_id, 0) == [(1, "values", b'{"n": 1}')]
    # A retried attempt of that step records the same end again.
    again = await storage.save_thread_states(thread_id, head, [head], finish_run=run_id)
    assert again is not None
    assert (await storage.get_run(run_id))["status"] == "success"  # type: ignore[index]
    # A run that is gone: the state is saved, no end is recorded.
    await storage.delete_run_record(run_id)
    assert await storage.save_thread_states(thread_id, head, [head], finish_run=run_id) is None
