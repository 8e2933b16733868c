"""What a finished run returns (join, wait, webhooks): the thread's values, with
`__interrupt__` when it stopped at an interrupt, or `__error__` when it failed."""

from __future__ import annotations

from typing import Any

from steadygraph.storage import Storage


async def run_output(storage: Storage, run_id: str, thread_id: str) -> Any:
    error = await storage.get_run_error(run_id)
    if error:
        return {"__error__": error}
    state = await storage.get_thread_state(thread_id) or {}
    values = state.get("values")
    if values is None:
        thread = await storage.get_thread(thread_id)
        values = (thread or {}).get("values") or {}
    interrupts = state.get("interrupts") or []
    if interrupts and isinstance(values, dict):
        return {**values, "__interrupt__": interrupts}
    return values
