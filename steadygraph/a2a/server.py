"""The A2A JSON-RPC endpoint of one assistant: `message/send`, `message/stream`,
`tasks/get`, `tasks/cancel`, `tasks/resubscribe`.

Every message starts (or, answering an `input-required` task, resumes) an
ordinary Steadygraph run on the thread its `contextId` names, so a conversation
continues where it left off, and the task survives a killed worker like any
run. Errors are JSON-RPC errors answered with HTTP 200, as the binding wants;
only an unknown assistant is a 404.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from steadygraph import jsonrpc
from steadygraph.a2a import conversion
from steadygraph.a2a.card import takes_messages
from steadygraph.a2a.protocol import (
    INPUT_REQUIRED,
    PUSH_NOTIFICATION_NOT_SUPPORTED,
    SUBMITTED,
    TASK_NOT_CANCELABLE,
    TASK_NOT_FOUND,
    TERMINAL_STATES,
    UNSUPPORTED_OPERATION,
    WORKING,
    MessageSendParams,
    TaskIdParams,
    TaskQueryParams,
    parse_params,
)
from steadygraph.a2a.tasks import (
    TASK_METADATA_KEY,
    Task,
    find_task,
    task_output,
    task_state,
    task_view,
)
from steadygraph.assistants.lookup import resolve_assistant
from steadygraph.errors import ServiceError
from steadygraph.ids import new_id, parse_uuid
from steadygraph.jsonrpc import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, RpcError
from steadygraph.runs.cancellation import cancel_run
from steadygraph.runs.request import RunCreate
from steadygraph.runs.results import run_events, wait_for_end
from steadygraph.runs.submission import submit_run
from steadygraph.services import Services

# "values" keeps each run's final output in its own event log (tasks/get of an
# older task); "updates" carries the agent's messages to message/stream.
_STREAM_MODES = ["values", "updates"]

_STREAMING = {"message/stream", "tasks/resubscribe"}
_PUSH_METHODS = {
    "tasks/pushNotificationConfig/set",
    "tasks/pushNotificationConfig/get",
    "tasks/pushNotificationConfig/list",
    "tasks/pushNotificationConfig/delete",
}
_EXTENDED_CARD_NOT_CONFIGURED = -32007


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any] | None


@dataclass(frozen=True)
class Stream:
    """An SSE response: each item one JSON-RPC response envelope."""

    events: AsyncIterator[dict[str, Any]]


async def handle_post(
    ctx: Services, assistant_ref: str, body: bytes, accept: str | None
) -> Reply | Stream:
    try:
        message = jsonrpc.parse(body)
    except RpcError as exc:
        return Reply(200, jsonrpc.error(None, exc))
    if message.kind == "response":
        return Reply(202, None)
    if message.kind == "notification":
        error = RpcError(INVALID_REQUEST, "Invalid Request: A2A methods are requests with an id")
        return Reply(200, jsonrpc.error(None, error))
    wanted = "text/event-stream" if message.method in _STREAMING else "application/json"
    if accept and not jsonrpc.accepts(accept, wanted):
        error = RpcError(INVALID_REQUEST, f"Accept header must include {wanted}")
        return Reply(400, jsonrpc.error(message.id, error))
    try:
        assistant = await resolve_assistant(ctx, assistant_ref)
    except ServiceError:
        error = RpcError(INVALID_PARAMS, f"Assistant '{assistant_ref}' not found")
        return Reply(404, jsonrpc.error(message.id, error))
    try:
        outcome = await _dispatch(ctx, assistant, message)
    except RpcError as exc:
        return Reply(200, jsonrpc.error(message.id, exc))
    except ServiceError as exc:
        return Reply(200, jsonrpc.error(message.id, _rpc_error(exc)))
    if isinstance(outcome, Stream):
        return outcome
    return Reply(200, jsonrpc.result(message.id, outcome))


def _rpc_error(exc: ServiceError) -> RpcError:
    return RpcError(INTERNAL_ERROR if exc.status_code >= 500 else INVALID_PARAMS, exc.detail)


async def _dispatch(
    ctx: Services, assistant: dict[str, Any], message: jsonrpc.Message
) -> dict[str, Any] | Stream:
    method, params, request_id = message.method, message.params, message.id
    if method == "message/send":
        return await send_message(ctx, assistant, parse_params(MessageSendParams, params))
    if method == "message/stream":
        send = parse_params(MessageSendParams, params)
        task, incoming = await _start(ctx, assistant, send)
        return Stream(_guarded(request_id, _follow(ctx, task, request_id, incoming)))
    if method == "tasks/get":
        query = parse_params(TaskQueryParams, params)
        task = await find_task(ctx, assistant["assistant_id"], query.id)
        return await task_view(ctx, task, history_length=query.historyLength)
    if method == "tasks/cancel":
        return await cancel_task(ctx, assistant, parse_params(TaskIdParams, params).id)
    if method == "tasks/resubscribe":
        task = await find_task(
            ctx, assistant["assistant_id"], parse_params(TaskIdParams, params).id
        )
        return Stream(_guarded(request_id, _follow(ctx, task, request_id, None)))
    if method in _PUSH_METHODS:
        raise RpcError(PUSH_NOTIFICATION_NOT_SUPPORTED, "Push notifications are not supported")
    if method == "agent/getAuthenticatedExtendedCard":
        raise RpcError(_EXTENDED_CARD_NOT_CONFIGURED, "No authenticated extended card")
    raise RpcError(jsonrpc.METHOD_NOT_FOUND, f"Method not found: {method}")


async def send_message(
    ctx: Services, assistant: dict[str, Any], params: MessageSendParams
) -> dict[str, Any]:
    task, _ = await _start(ctx, assistant, params)
    history_length = params.configuration.historyLength if params.configuration else None
    if params.configuration is None or params.configuration.blocking is not False:
        await wait_for_end(ctx, task.run["run_id"])
        task = await find_task(ctx, assistant["assistant_id"], task.id)
    return await task_view(ctx, task, history_length=history_length)


async def _start(
    ctx: Services, assistant: dict[str, Any], params: MessageSendParams
) -> tuple[Task, dict[str, Any]]:
    """Submit the run a message asks for: a new task, or the answer to an
    input-required one. The task, and the message as it joins the history."""
    message = params.message
    incoming = conversion.read_parts(message)
    context_id = None
    if message.contextId is not None:
        context_id = parse_uuid(message.contextId)
        if context_id is None:
            raise RpcError(
                INVALID_PARAMS,
                "Invalid params: contextId must be a UUID (it is the id of the thread the "
                "conversation lives on); leave it out to start a new one",
            )
    base = {"assistant_id": assistant["assistant_id"], "stream_mode": _STREAM_MODES}
    if message.taskId is not None:
        task = await find_task(ctx, assistant["assistant_id"], message.taskId)
        if context_id is not None and context_id != task.context_id:
            raise RpcError(TASK_NOT_FOUND, f"Task not found: {message.taskId}")
        state = task_state(task, await task_output(ctx, task))
        if state != INPUT_REQUIRED:
            ended = "has ended" if state in TERMINAL_STATES else "is not waiting for input"
            raise RpcError(
                UNSUPPORTED_OPERATION,
                f"Task {task.id} is {state}: it {ended}. Send the message without taskId "
                "(same contextId) to start a new task in this conversation.",
            )
        answer = incoming.data["resume"] if "resume" in incoming.data else incoming.text
        if answer is None:
            raise RpcError(
                INVALID_PARAMS,
                "Invalid params: answer an input-required task with text, or a data part "
                "{'resume': value}",
            )
        body = RunCreate(**base, command={"resume": answer}, metadata={TASK_METADATA_KEY: task.id})
        run = await submit_run(ctx, task.context_id, body)
        task_id = task.id
    else:
        if "resume" in incoming.data:
            raise RpcError(
                INVALID_PARAMS, "Invalid params: a resume answer needs the taskId it answers"
            )
        if incoming.text is not None and not await takes_messages(ctx, assistant):
            raise RpcError(
                INVALID_PARAMS,
                f"Assistant '{assistant['name']}' (graph '{assistant['graph_id']}') is not a "
                "conversational A2A agent: its graph's input has no `messages` field, so it "
                "cannot take text parts. Send its input as a data part instead.",
            )
        body = RunCreate(
            **base, input=conversion.graph_input(message, incoming), if_not_exists="create"
        )
        run = await submit_run(ctx, context_id or new_id(), body)
        task_id = run["run_id"]
    joined = message.model_dump(exclude_none=True)
    joined.update(contextId=run["thread_id"], taskId=task_id)
    return Task(task_id, run["thread_id"], run, True), joined


async def cancel_task(ctx: Services, assistant: dict[str, Any], task_id: str) -> dict[str, Any]:
    task = await find_task(ctx, assistant["assistant_id"], task_id)
    state = task_state(task, await task_output(ctx, task))
    if state not in (SUBMITTED, WORKING):
        raise RpcError(TASK_NOT_CANCELABLE, f"Task {task.id} is {state}: it cannot be canceled")
    # The run's workflow is cancelled through Temporal (its current step too).
    await cancel_run(ctx, task.run, "interrupt")
    await wait_for_end(ctx, task.run["run_id"])
    return await task_view(ctx, await find_task(ctx, assistant["assistant_id"], task.id))


def _status_update(task: Task, status: dict[str, Any], *, final: bool) -> dict[str, Any]:
    return {
        "kind": "status-update",
        "taskId": task.id,
        "contextId": task.context_id,
        "status": status,
        "final": final,
    }


async def _follow(
    ctx: Services, task: Task, request_id: Any, incoming: dict[str, Any] | None
) -> AsyncIterator[dict[str, Any]]:
    """The task as it runs: the task itself, `working` with each agent message,
    then its artifacts and its final status."""
    run = task.run
    if incoming is not None:
        yield jsonrpc.result(
            request_id,
            {
                "kind": "task",
                "id": task.id,
                "contextId": task.context_id,
                "status": {"state": SUBMITTED, "timestamp": run["updated_at"]},
                "history": [incoming],
                "metadata": {"run_id": run["run_id"], "thread_id": task.context_id},
            },
        )
    else:
        yield jsonrpc.result(request_id, await task_view(ctx, task))
    working = False
    async for seq, event, data in run_events(ctx, run, modes={"updates"}):
        if seq == 0:
            continue  # the metadata event
        if not working:
            working = True
            yield jsonrpc.result(request_id, _status_update(task, {"state": WORKING}, final=False))
        if event != "updates":
            continue
        for message in conversion.update_messages(json.loads(data)):
            parts = [{"kind": "text", "text": conversion.message_text(message.get("content"))}]
            status = {
                "state": WORKING,
                "message": conversion.agent_message(
                    parts,
                    message_id=str(message.get("id") or f"{run['run_id']}-{seq}"),
                    context_id=task.context_id,
                    task_id=task.id,
                ),
            }
            yield jsonrpc.result(request_id, _status_update(task, status, final=False))
    ended = await find_task(ctx, run["assistant_id"], task.id)
    view = await task_view(ctx, ended, history_length=0)
    for artifact in view.get("artifacts", []):
        update = {
            "kind": "artifact-update",
            "taskId": task.id,
            "contextId": task.context_id,
            "artifact": artifact,
            "append": False,
            "lastChunk": True,
        }
        yield jsonrpc.result(request_id, update)
    yield jsonrpc.result(request_id, _status_update(ended, view["status"], final=True))


async def _guarded(
    request_id: Any, events: AsyncIterator[dict[str, Any]]
) -> AsyncIterator[dict[str, Any]]:
    """A failure mid-stream ends the stream with a JSON-RPC error, not a cut."""
    try:
        async for event in events:
            yield event
    except RpcError as exc:
        yield jsonrpc.error(request_id, exc)
    except ServiceError as exc:
        yield jsonrpc.error(request_id, _rpc_error(exc))
