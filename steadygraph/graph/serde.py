"""JSON encoding of graph values, the way LangGraph Server puts them on the wire.

Messages and other pydantic objects become their `model_dump()`, exceptions
become `{"error": <class>, "message": <text>}`, interrupts `{"id", "value"}`.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID

import orjson


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump") and callable(obj.model_dump) and not isinstance(obj, type):
        return obj.model_dump()
    if hasattr(obj, "_asdict") and callable(obj._asdict) and not isinstance(obj, type):
        return obj._asdict()
    if isinstance(obj, BaseException):
        return error_payload(obj)
    if isinstance(obj, set | frozenset | deque):
        return list(obj)
    if isinstance(obj, Decimal):
        return float(obj) if obj.as_tuple().exponent < 0 else int(obj)  # type: ignore[operator]
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, PurePath | UUID):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, datetime | date | time):
        return obj.isoformat()
    # Anything else (a tool object, a client) is shown, never fatal: a state
    # value we cannot encode must not turn a finished run into an error.
    return repr(obj)


_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


def to_jsonable(obj: Any) -> Any:
    """Plain JSON types only (dict/list/str/number/bool/None)."""
    return orjson.loads(dumps(obj))


def error_payload(exc: BaseException) -> dict[str, str]:
    return {"error": type(exc).__name__, "message": str(exc)}


def interrupt_payload(interrupt: Any) -> dict[str, Any]:
    if isinstance(interrupt, dict):
        return {"id": interrupt.get("id"), "value": interrupt.get("value")}
    return {"id": getattr(interrupt, "id", None), "value": getattr(interrupt, "value", None)}


def checkpoint_ref(config: dict | None) -> dict[str, Any] | None:
    configurable = (config or {}).get("configurable") or {}
    if not configurable.get("thread_id") or not configurable.get("checkpoint_id"):
        return None
    return {
        "checkpoint_id": configurable["checkpoint_id"],
        "thread_id": configurable["thread_id"],
        "checkpoint_ns": configurable.get("checkpoint_ns") or "",
    }


def _subgraph_ref(config: dict | None) -> dict[str, Any] | None:
    """Where a subgraph task's own state lives: its namespace, even before it
    has a checkpoint of its own."""
    configurable = (config or {}).get("configurable") or {}
    if not configurable.get("checkpoint_ns"):
        return None
    return {
        "thread_id": configurable.get("thread_id"),
        "checkpoint_ns": configurable["checkpoint_ns"],
        "checkpoint_id": configurable.get("checkpoint_id"),
        "checkpoint_map": configurable.get("checkpoint_map"),
    }


def _task_payload(task: Any) -> dict[str, Any]:
    # A subgraph task's `state` is its config (a dict) or, when asked for
    # with subgraphs=True, its own StateSnapshot.
    state = getattr(task, "state", None)
    nested_config = state if isinstance(state, dict) else None
    nested_state = state if state is not None and nested_config is None else None
    return {
        "id": task.id,
        "name": task.name,
        "path": list(getattr(task, "path", ()) or ()),
        "error": error_payload(task.error) if task.error is not None else None,
        "interrupts": [interrupt_payload(i) for i in task.interrupts],
        "checkpoint": _subgraph_ref(nested_config),
        "state": snapshot_payload(nested_state) if nested_state is not None else None,
        "result": getattr(task, "result", None),
    }


def snapshot_payload(snapshot: Any) -> dict[str, Any]:
    """A `langgraph.types.StateSnapshot` as LangGraph Server's ThreadState JSON."""
    checkpoint = checkpoint_ref(snapshot.config)
    parent = checkpoint_ref(snapshot.parent_config)
    interrupts = [interrupt_payload(i) for i in getattr(snapshot, "interrupts", ()) or ()]
    return to_jsonable(
        {
            "values": snapshot.values,
            "next": list(snapshot.next),
            "tasks": [_task_payload(t) for t in snapshot.tasks],
            "metadata": snapshot.metadata,
            "created_at": snapshot.created_at,
            "checkpoint": checkpoint,
            "parent_checkpoint": parent,
            "interrupts": interrupts,
            "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
            "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
        }
    )


def empty_state_payload() -> dict[str, Any]:
    """get_state of a thread that has never run."""
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": {},
        "created_at": None,
        "checkpoint": None,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }
