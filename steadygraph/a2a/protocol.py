"""The A2A (0.3) JSON-RPC surface Steadygraph speaks: method params as pydantic
models, error codes, task states."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steadygraph.jsonrpc import INVALID_PARAMS, RpcError

PROTOCOL_VERSION = "0.3.0"

TASK_NOT_FOUND = -32001
TASK_NOT_CANCELABLE = -32002
PUSH_NOTIFICATION_NOT_SUPPORTED = -32003
UNSUPPORTED_OPERATION = -32004
CONTENT_TYPE_NOT_SUPPORTED = -32005

SUBMITTED, WORKING, COMPLETED, FAILED, CANCELED, INPUT_REQUIRED = (
    "submitted",
    "working",
    "completed",
    "failed",
    "canceled",
    "input-required",
)
TERMINAL_STATES = frozenset({COMPLETED, FAILED, CANCELED})

# A run's status as a task state; a run that succeeded but left its thread at
# an interrupt() is "input-required" (decided with the thread, in tasks.py).
RUN_STATUS_STATES = {
    "pending": SUBMITTED,
    "running": WORKING,
    "success": COMPLETED,
    "error": FAILED,
    "timeout": FAILED,
    "interrupted": CANCELED,
}


class _Params(BaseModel):
    # Fields of later protocol revisions (and extensions) are ignored.
    model_config = ConfigDict(extra="ignore")


class Message(_Params):
    kind: Literal["message"] = "message"
    role: Literal["user", "agent"]
    parts: list[dict[str, Any]] = Field(min_length=1)
    messageId: str = Field(min_length=1)
    contextId: str | None = None
    taskId: str | None = None
    metadata: dict[str, Any] | None = None


class SendConfiguration(_Params):
    historyLength: int | None = Field(None, ge=0)
    # Absent means wait for the task to end (or stop at input-required).
    blocking: bool | None = None


class MessageSendParams(_Params):
    message: Message
    configuration: SendConfiguration | None = None
    metadata: dict[str, Any] | None = None


class TaskQueryParams(_Params):
    id: str = Field(min_length=1)
    historyLength: int | None = Field(None, ge=0)


class TaskIdParams(_Params):
    id: str = Field(min_length=1)


P = TypeVar("P", bound=BaseModel)


def parse_params(model: type[P], params: dict[str, Any]) -> P:
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise RpcError(INVALID_PARAMS, f"Invalid params: {problems}") from exc
