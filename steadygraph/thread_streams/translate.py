"""One run's durable event log, read as the v3 protocol's events.

The worker records LangGraph's stream modes (`values`, `updates`,
`messages`, `tools`, `custom`, `tasks`, `checkpoints`; `|`-separated
namespaces for subgraphs). Thread streams translate them on read, so the
translation is a pure function of the log: every reader, after a reconnect or
an API restart, derives the same events in the same order.

Added on top of the recorded modes: the run's root lifecycle (`running`
first, `completed` / `interrupted` / `failed` last), subgraph lifecycle
(`started` on a namespace's first event, its end when the parent's task
reports its result), and `input.requested` for each interrupt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from steadygraph.thread_streams.messages import MessageTranslator


@dataclass(frozen=True)
class Translated:
    method: str
    namespace: list[str]
    data: Any
    node: str | None = None


def graph_name(run: dict[str, Any]) -> str:
    configurable = ((run.get("kwargs") or {}).get("config") or {}).get("configurable") or {}
    return str(configurable.get("graph_id") or run.get("assistant_id") or "graph")


def _split(name: str) -> tuple[str, list[str]]:
    base, *namespace = name.split("|")
    return base, namespace


def _segment(segment: str) -> tuple[str, str | None]:
    name, sep, task_id = segment.partition(":")
    return name, task_id if sep else None


def custom_data(payload: Any) -> dict[str, Any]:
    """A stream writer's payload as a `custom` event. A dict with a string
    `name` is a named extension (`thread.extensions[name]` in the SDK): its
    `payload` key, or else the rest of the dict, is what subscribers get."""
    if isinstance(payload, dict) and isinstance(payload.get("name"), str) and payload["name"]:
        rest = {k: v for k, v in payload.items() if k != "name"}
        return {"name": payload["name"], "payload": rest.get("payload", rest)}
    return {"payload": payload}


def checkpoint_data(snapshot: Any) -> dict[str, Any] | None:
    """LangGraph's `checkpoints` mode payload (a state snapshot) as the
    protocol's checkpoint reference."""
    if not isinstance(snapshot, dict):
        return None
    configurable = (snapshot.get("config") or {}).get("configurable") or {}
    checkpoint_id = configurable.get("checkpoint_id")
    if not isinstance(checkpoint_id, str):
        return None
    metadata = snapshot.get("metadata") or {}
    data: dict[str, Any] = {
        "id": checkpoint_id,
        "step": metadata.get("step", 0),
        "source": metadata.get("source", "loop"),
    }
    parent = ((snapshot.get("parent_config") or {}).get("configurable") or {}).get("checkpoint_id")
    if parent:
        data["parent_id"] = parent
    return data


class RunTranslator:
    def __init__(self, run: dict[str, Any]) -> None:
        self._graph_name = graph_name(run)
        self._messages = MessageTranslator()
        # Subgraph namespaces seen and not yet ended.
        self._open: dict[tuple[str, ...], None] = {}
        self._interrupts: set[str] = set()
        self._error: str | None = None

    def start(self) -> list[Translated]:
        return [Translated("lifecycle", [], {"event": "running", "graph_name": self._graph_name})]

    def feed(self, name: str, data: Any) -> list[Translated]:
        base, namespace = _split(name)
        out = self._enter(namespace)
        if base == "values":
            out += self._input_requested(namespace, data)
            if isinstance(data, dict):
                data = {k: v for k, v in data.items() if k != "__interrupt__"}
            out.append(Translated("values", namespace, data))
        elif base == "updates":
            out += self._updates(namespace, data)
        elif base == "messages" and isinstance(data, list) and len(data) == 2:
            out += [
                Translated("messages", ns, event)
                for ns, event in self._messages.feed(namespace, data[0], data[1])
            ]
        elif base == "tools" and isinstance(data, dict):
            out.append(Translated("tools", namespace, data))
        elif base == "custom":
            out.append(Translated("custom", namespace, custom_data(data)))
        elif base == "tasks" and isinstance(data, dict):
            out.append(Translated("tasks", namespace, data))
            if "result" in data or "error" in data:
                out += self._task_ended(namespace, data)
        elif base == "checkpoints":
            checkpoint = checkpoint_data(data)
            if checkpoint is not None:
                out.append(Translated("checkpoints", namespace, checkpoint))
        elif base == "error" and isinstance(data, dict):
            # The run's failure, recorded with its end: shown by the final lifecycle.
            self._error = str(data.get("message") or data.get("error") or "")
        # Anything else (modes only run streams have) is no thread-stream channel.
        return out

    def finish(self, run: dict[str, Any] | None) -> list[Translated]:
        """The run's end, from its final record (None: it was rolled back)."""
        out = [Translated("messages", ns, event) for ns, event in self._messages.close_all()]
        status = run["status"] if run else "rolled_back"
        error: str | None = None
        if status == "success":
            event = "interrupted" if self._interrupts else "completed"
        else:
            event = "failed"
            if status == "error":
                details = (run or {}).get("error") or {}
                error = self._error or str(
                    details.get("message") or details.get("error") or "Run failed"
                )
            elif status == "interrupted":
                error = "Run was cancelled"
            elif status == "timeout":
                error = "Run timed out"
            else:
                error = "Run was rolled back"
        for namespace in sorted(self._open, key=len, reverse=True):
            child_event = "failed" if event == "failed" else "completed"
            data: dict[str, Any] = {"event": child_event}
            if error and child_event == "failed":
                data["error"] = error
            out.append(Translated("lifecycle", list(namespace), data))
        self._open.clear()
        root: dict[str, Any] = {"event": event, "graph_name": self._graph_name}
        if error:
            root["error"] = error
        out.append(Translated("lifecycle", [], root))
        return out

    # ------------------------------------------------------------------

    def _enter(self, namespace: list[str]) -> list[Translated]:
        out = []
        for depth in range(1, len(namespace) + 1):
            key = tuple(namespace[:depth])
            if key in self._open:
                continue
            self._open[key] = None
            name, task_id = _segment(key[-1])
            data: dict[str, Any] = {"event": "started", "graph_name": name}
            if task_id:
                data["trigger_call_id"] = task_id
            out.append(Translated("lifecycle", list(key), data))
        return out

    def _updates(self, namespace: list[str], data: Any) -> list[Translated]:
        if not isinstance(data, dict):
            return [Translated("updates", namespace, {"values": data})]
        out = self._input_requested(namespace, data)
        for node, values in data.items():
            if node == "__interrupt__":
                continue
            # The node returned: the messages it streamed are complete.
            out += [
                Translated("messages", ns, event)
                for ns, event in self._messages.close(namespace, node)
            ]
            out.append(
                Translated(
                    "updates",
                    namespace,
                    {"node": node, "values": values if isinstance(values, dict) else {}},
                    node=node,
                )
            )
        return out

    def _input_requested(self, namespace: list[str], data: Any) -> list[Translated]:
        if not isinstance(data, dict):
            return []
        out = []
        for interrupt in data.get("__interrupt__") or ():
            interrupt_id = interrupt.get("id") if isinstance(interrupt, dict) else None
            if not isinstance(interrupt_id, str) or interrupt_id in self._interrupts:
                continue
            self._interrupts.add(interrupt_id)
            value = interrupt.get("value")
            # `payload` is the protocol's field; the Python SDK reads `value`.
            out.append(
                Translated(
                    "input.requested",
                    namespace,
                    {"interrupt_id": interrupt_id, "payload": value, "value": value},
                )
            )
        return out

    def _task_ended(self, namespace: list[str], data: dict[str, Any]) -> list[Translated]:
        """A task's result at `namespace` ends the subgraph it ran, if it was one."""
        task_id, name = data.get("id"), data.get("name")
        child = (*namespace, f"{name}:{task_id}")
        if child not in self._open:
            return []
        if data.get("interrupts"):
            event, error = "interrupted", None
        elif data.get("error"):
            event, error = "failed", str(data["error"])
        else:
            event, error = "completed", None
        out = []
        for key in sorted(
            (k for k in self._open if k[: len(child)] == child), key=len, reverse=True
        ):
            del self._open[key]
            ended: dict[str, Any] = {"event": event}
            if error:
                ended["error"] = error
            out.append(Translated("lifecycle", list(key), ended))
        return out
