"""The thread's head state and its per-checkpoint states, as the worker saves
them after each super-step, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import uuid
from typing import Any

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
