"""A span per graph node, from LangChain's callbacks.

LangGraph runs every node of a super-step as a child chain of the graph's root
chain; those chain starts and ends become spans under the span current when the
handler was made (the step's Temporal activity span).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langgraph.errors import GraphBubbleUp
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

_tracer = trace.get_tracer("steadygraph.graph")


class NodeSpans(BaseCallbackHandler):
    # Called in the graph's own task, in order: span start and end are cheap.
    run_inline = True

    def __init__(self) -> None:
        self._parent = otel_context.get_current()
        self._root: UUID | None = None
        self._spans: dict[UUID, Span] = {}

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._root is None:
            self._root = run_id  # the graph's own chain: the first one to start
            return
        node = (metadata or {}).get("langgraph_node")
        if parent_run_id != self._root or not node:
            return
        self._spans[run_id] = _tracer.start_span(
            f"node {node}",
            context=self._parent,
            attributes={
                "langgraph.node": str(node),
                "langgraph.step": int((metadata or {}).get("langgraph_step", -1)),
            },
        )

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id == self._root:
            # One activity may run the graph twice (a run's input, then its
            # first step): the next call's own chain is the next root.
            self._root = None
            return
        span = self._spans.pop(run_id, None)
        if span is not None:
            span.end()

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        if run_id == self._root:
            self._root = None
            return
        span = self._spans.pop(run_id, None)
        if span is None:
            return
        if isinstance(error, GraphBubbleUp):
            # An interrupt (or a parent command) is how a node pauses, not a failure.
            span.add_event("interrupt", {"type": type(error).__name__})
        else:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()
