"""A2A tasks over Steadygraph runs.

A task is the run a `message/send` started (the task id is that run's id)
plus any runs that answered it while it was `input-required` (they carry the
task id in their metadata, `a2a_task_id`). Its context is the run's thread.
The task's state is its latest run's: a run that succeeded but left the thread
at an interrupt() makes it `input-required`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from steadygraph.a2a import conversion
from steadygraph.a2a.protocol import (
    CANCELED,
    COMPLETED,
    FAILED,
    INPUT_REQUIRED,
    RUN_STATUS_STATES,
    SUBMITTED,
    TASK_NOT_FOUND,
)
from steadygraph.auth import authorize, visible
from steadygraph.ids import parse_uuid
from steadygraph.jsonrpc import RpcError
from steadygraph.runs.output import run_output
from steadygraph.services import Services
from steadygraph.temporal.client import workflow_ui_url

TASK_METADATA_KEY = "a2a_task_id"
# Runs of a thread scanned for a task's later runs.
_RUN_SCAN = 200


@dataclass(frozen=True)
class Task:
    id: str
    context_id: str
    run: dict[str, Any]  # the task's latest run
    latest_on_thread: bool  # no later run on the thread changed its state since


def _belongs(run: dict[str, Any], task_id: str) -> bool:
    return run["run_id"] == task_id or (run.get("metadata") or {}).get(TASK_METADATA_KEY) == task_id


async def find_task(ctx: Services, assistant_id: str, task_id: str) -> Task:
    """The task, if it is one of this assistant's; else a TaskNotFound error."""
    not_found = RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    run_id = parse_uuid(task_id)
    first = await ctx.storage.get_run(str(run_id)) if run_id else None
    if first is None or first["assistant_id"] != assistant_id:
        raise not_found
    # A task lives on a thread: another user's is as unknown as a made-up id.
    filters = await authorize("threads", "read", {"thread_id": first["thread_id"]})
    thread = await ctx.storage.get_thread(first["thread_id"])
    if thread is None or not visible(thread["metadata"], filters):
        raise not_found
    task_id = first["run_id"]
    thread_runs = await ctx.storage.list_runs(first["thread_id"], limit=_RUN_SCAN)
    latest = next((r for r in thread_runs if _belongs(r, task_id)), first)
    on_top = bool(thread_runs) and thread_runs[0]["run_id"] == latest["run_id"]
    return Task(task_id, first["thread_id"], latest, on_top)


async def _last_values_event(ctx: Services, run_id: str) -> Any:
    values = None
    for _, event, data in await ctx.storage.read_events(run_id, 0):
        if event == "values":
            values = json.loads(data)
    return values


async def task_output(ctx: Services, task: Task) -> Any:
    """The values the task's latest run left: the thread's (with `__interrupt__`
    or `__error__`) while no later run has moved it on, else the run's last
    `values` event."""
    if task.latest_on_thread:
        return await run_output(ctx.storage, task.run["run_id"], task.context_id)
    return await _last_values_event(ctx, task.run["run_id"])


def task_state(task: Task, output: Any) -> str:
    state = RUN_STATUS_STATES.get(task.run["status"], SUBMITTED)
    if state == COMPLETED and isinstance(output, dict) and output.get("__interrupt__"):
        return INPUT_REQUIRED
    return state


async def task_view(
    ctx: Services,
    task: Task,
    *,
    history_length: int | None = None,
    output: Any = None,
) -> dict[str, Any]:
    """The A2A `Task` object: status, history and artifacts."""
    run = task.run
    if output is None:
        output = await task_output(ctx, task)
    state = task_state(task, output)
    status: dict[str, Any] = {"state": state, "timestamp": run["updated_at"]}
    artifacts: list[dict[str, Any]] = []
    ids = {"context_id": task.context_id, "task_id": task.id}
    if state == COMPLETED:
        artifacts.append(response_artifact(run["run_id"], conversion.reply_parts(output)))
    elif state == INPUT_REQUIRED:
        parts = conversion.interrupt_parts(output["__interrupt__"])
        status["message"] = conversion.agent_message(
            parts, message_id=f"interrupt-{run['run_id']}", **ids
        )
        artifacts.append(
            {
                "artifactId": f"interrupt-{run['run_id']}",
                "name": "Interrupt",
                "description": "The agent needs input to continue",
                "parts": [p for p in parts if p["kind"] == "data"],
            }
        )
    elif state == FAILED:
        error = output.get("__error__") if isinstance(output, dict) else None
        text = _error_text(error or await ctx.storage.get_run_error(run["run_id"]))
        status["message"] = conversion.agent_message(
            [{"kind": "text", "text": text}], message_id=f"error-{run['run_id']}", **ids
        )
    elif state == CANCELED:
        status["message"] = conversion.agent_message(
            [{"kind": "text", "text": "Task was canceled"}],
            message_id=f"canceled-{run['run_id']}",
            **ids,
        )
    view: dict[str, Any] = {
        "kind": "task",
        "id": task.id,
        "contextId": task.context_id,
        "status": status,
        "metadata": {"run_id": run["run_id"], "thread_id": task.context_id},
    }
    if ui_url := workflow_ui_url(ctx.settings, run["run_id"]):
        view["metadata"]["temporal_ui_url"] = ui_url
    if history_length != 0:
        values = output if isinstance(output, dict) and "__error__" not in output else None
        if values is None or state not in (COMPLETED, INPUT_REQUIRED, CANCELED):
            thread = await ctx.storage.get_thread(task.context_id)
            values = (thread or {}).get("values")
        found = conversion.history(values, context_id=task.context_id)
        view["history"] = found[-history_length:] if history_length else found
    if artifacts:
        view["artifacts"] = artifacts
    return view


def response_artifact(run_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"artifactId": f"response-{run_id}", "name": "Assistant Response", "parts": parts}


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind, message = error.get("error"), error.get("message")
        return f"{kind}: {message}" if kind and message else str(message or kind or error)
    return str(error or "The run failed")
