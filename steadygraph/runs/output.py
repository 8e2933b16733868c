"""What a finished run returns (join, wait, webhooks): the thread's values, with
`__interrupt__` when it stopped at an interrupt, or `__error__` when it failed."""

from __future__ import annotations

from typing import Any

from steadygraph.storage import Storage


async def run_output(storage: Storage, run_id: str, thread_id: str) -> Any:
    outcome = await storage.run_outcome(run_id, thread_id)
    if outcome.error:
        return {"__error__": outcome.error}
    if outcome.interrupts and isinstance(outcome.values, dict):
        return {**outcome.values, "__interrupt__": outcome.interrupts}
    return outcome.values
