"""Thread-stream commands (`POST /threads/{id}/commands`, or a frame on the
WebSocket): `run.start`, `input.respond`, `run.abort`.

Each answers with the protocol's envelope: `{"type": "success", "id",
"result", "meta"}` or `{"type": "error", "id", "error", "message"}`. A
command that starts a run reports in `meta.applied_through_seq` the position
just before that run, so a stream opened with it as `since` starts there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import ValidationError

from steadygraph.errors import Conflict, NotFound, ServiceError
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.request import RunCreate
from steadygraph.runs.submission import submit_run
from steadygraph.services import Services
from steadygraph.storage import ACTIVE_RUN_STATUSES
from steadygraph.thread_streams.positions import before_run
from steadygraph.thread_streams.source import thread_runs

# What the worker records for a thread-stream run; translated on read.
THREAD_STREAM_MODES = [
    "values",
    "updates",
    "messages-tuple",
    "tools",
    "custom",
    "tasks",
    "checkpoints",
]
_MULTITASK = ("reject", "rollback", "interrupt", "enqueue")
_SETTLE_S = 5.0
_SETTLE_POLL_S = 0.05


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def success(command_id: Any, result: dict[str, Any], seq: int | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"type": "success", "id": command_id, "result": result}
    if seq is not None:
        response["meta"] = {"applied_through_seq": seq}
    return response


def error(command_id: Any, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": command_id, "error": code, "message": message}


def is_command(payload: Any) -> bool:
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("id"), int)
        and not isinstance(payload.get("id"), bool)
        and isinstance(payload.get("method"), str)
    )


async def handle_command(ctx: Services, thread_id: str, command: dict[str, Any]) -> dict[str, Any]:
    command_id, method = command["id"], command["method"]
    raw_params = command.get("params")
    params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
    handler = _HANDLERS.get(method)
    if handler is None:
        return error(command_id, "unknown_command", f"Unknown protocol command: {method}")
    try:
        result, seq = await handler(ctx, thread_id, params)
    except CommandError as exc:
        return error(command_id, exc.code, str(exc))
    except ValidationError as exc:
        return error(command_id, "invalid_argument", str(exc))
    except NotFound as exc:
        return error(command_id, "no_such_run", str(exc))
    except Conflict as exc:
        return error(command_id, "invalid_argument", str(exc))
    except ServiceError as exc:
        return error(command_id, "invalid_argument", str(exc))
    return success(command_id, result, seq)


def _multitask(params: dict[str, Any]) -> str:
    strategy = params.get("multitask_strategy") or params.get("multitaskStrategy")
    return strategy if strategy in _MULTITASK else "enqueue"


async def _submit(ctx: Services, thread_id: str, body: dict[str, Any]) -> tuple[dict, int]:
    request = RunCreate.model_validate(
        {**body, "if_not_exists": "create", "stream_subgraphs": True}
    ).model_copy(update={"stream_mode": list(THREAD_STREAM_MODES)})
    run = await submit_run(ctx, thread_id, request)
    runs = await thread_runs(ctx.storage, thread_id)
    ordinal = next(
        (i for i, r in enumerate(runs, start=1) if r["run_id"] == run["run_id"]), len(runs)
    )
    return run, ordinal


async def _run_start(
    ctx: Services, thread_id: str, params: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    assistant_id = params.get("assistant_id")
    if not isinstance(assistant_id, str) or not assistant_id:
        raise CommandError("invalid_argument", "run.start requires an assistant_id.")
    body: dict[str, Any] = {
        "assistant_id": assistant_id,
        "config": params.get("config"),
        "metadata": params.get("metadata"),
        "multitask_strategy": _multitask(params),
    }
    # As LangGraph Server: on a thread waiting at an interrupt, the input is
    # the answer (RemoteGraph sends `Command(resume=x)` as input `x`). A run
    # that is queued anyway first lets the current one settle: it may be
    # stopping at the interrupt this input answers.
    if body["multitask_strategy"] in ("enqueue", "reject"):
        await _settle(ctx, thread_id)
    if await _pending_interrupts(ctx, thread_id, missing_ok=True):
        body["command"] = {"resume": params.get("input")}
    else:
        body["input"] = params.get("input")
    run, ordinal = await _submit(ctx, thread_id, body)
    return {"run_id": run["run_id"]}, before_run(ordinal)


async def _settle(ctx: Services, thread_id: str) -> None:
    for _ in range(int(_SETTLE_S / _SETTLE_POLL_S)):
        if not await ctx.storage.active_runs(thread_id):
            return
        await asyncio.sleep(_SETTLE_POLL_S)


def _responses(params: dict[str, Any]) -> dict[str, Any]:
    entries = params["responses"] if isinstance(params.get("responses"), list) else [params]
    resume: dict[str, Any] = {}
    for entry in entries:
        interrupt_id = entry.get("interrupt_id") if isinstance(entry, dict) else None
        if not isinstance(interrupt_id, str) or not interrupt_id:
            raise CommandError("invalid_argument", "input.respond requires an interrupt_id.")
        resume[interrupt_id] = entry.get("response")
    return resume


async def _pending_interrupts(
    ctx: Services, thread_id: str, *, missing_ok: bool = False
) -> set[str] | None:
    """Interrupt ids the thread waits on; None while a run is still going
    (its interrupt may not be recorded yet, and the resume queues behind it)."""
    if await ctx.storage.active_runs(thread_id):
        return None
    thread = await ctx.storage.get_thread(thread_id)
    if thread is None:
        if missing_ok:
            return None
        raise CommandError("no_such_run", f"Thread {thread_id} not found.")
    return {
        interrupt["id"]
        for interrupts in (thread.get("interrupts") or {}).values()
        for interrupt in interrupts
        if isinstance(interrupt, dict) and interrupt.get("id")
    }


async def _input_respond(
    ctx: Services, thread_id: str, params: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    resume = _responses(params)
    pending = await _pending_interrupts(ctx, thread_id)
    if pending is not None:
        unknown = [i for i in resume if i not in pending]
        if unknown:
            raise CommandError("no_such_interrupt", f"No pending interrupt {unknown[0]!r}.")
    runs = await thread_runs(ctx.storage, thread_id)
    if not runs:
        raise CommandError("no_such_run", "The thread has no run to resume.")
    command: dict[str, Any] = {"resume": resume}
    for key in ("update", "goto"):
        if params.get(key) is not None:
            command[key] = params[key]
    run, ordinal = await _submit(
        ctx,
        thread_id,
        {
            "assistant_id": runs[-1]["assistant_id"],
            "command": command,
            "config": params.get("config"),
            "metadata": params.get("metadata"),
            "multitask_strategy": "enqueue",
        },
    )
    return {"run_id": run["run_id"]}, before_run(ordinal)


async def _run_abort(
    ctx: Services, thread_id: str, params: dict[str, Any]
) -> tuple[dict[str, Any], None]:
    """Cancel the thread's active run (or `params.run_id`): a Temporal
    cancellation of the step it is in. Its stream ends with a `failed`
    lifecycle event."""
    run_id = params.get("run_id")
    run_ids = [run_id] if isinstance(run_id, str) else await ctx.storage.active_runs(thread_id)
    cancelled = []
    for candidate in run_ids:
        run = await ctx.storage.get_run(candidate, thread_id)
        if run is None:
            raise CommandError("no_such_run", f"Run {candidate} not found.")
        if run["status"] in ACTIVE_RUN_STATUSES:
            await cancel_run(ctx, run, "interrupt")
            cancelled.append(candidate)
    return {"run_ids": cancelled}, None


_HANDLERS = {
    "run.start": _run_start,
    "input.respond": _input_respond,
    "run.abort": _run_abort,
}
