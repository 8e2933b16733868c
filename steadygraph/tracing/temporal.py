"""Temporal's OpenTelemetry interceptor, with each run's workflow in its request's trace.

A run reaches its thread's workflow as a `submit_run` signal (signal-with-start),
and the thread's workflow starts the run's child workflow later, from its main
loop. Out of the box that child would be parented by the context the thread's
workflow was *started* with: the first request of the thread, not the one that
submitted this run. Here the signal's trace context is kept per run and made
current while that run's child workflow is started.
"""

from __future__ import annotations

from typing import Any

import temporalio.worker
from opentelemetry.context import Context
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor

# The outbound half of the SDK's workflow interceptor: private, but the SDK's
# documented way to customise its tracing is subclassing, which needs it.
from temporalio.contrib.opentelemetry._context import attached_context
from temporalio.contrib.opentelemetry._interceptor import _TracingWorkflowOutboundInterceptor

from steadygraph.temporal.contract import SIGNAL_SUBMIT_RUN, RunRequest, run_workflow_id


class RunTracingInterceptor(TracingInterceptor):
    def workflow_interceptor_class(
        self, input: temporalio.worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)
        return _RunTracingWorkflowInbound


class _RunTracingWorkflowInbound(TracingWorkflowInboundInterceptor):
    def __init__(self, next: temporalio.worker.WorkflowInboundInterceptor) -> None:
        super().__init__(next)
        # Child workflow id -> the trace context its run was submitted with.
        self.run_contexts: dict[str, dict[str, Any]] = {}

    def init(self, outbound: temporalio.worker.WorkflowOutboundInterceptor) -> None:
        temporalio.worker.WorkflowInboundInterceptor.init(
            self, _RunTracingWorkflowOutbound(outbound, self)
        )

    async def handle_signal(self, input: temporalio.worker.HandleSignalInput) -> None:
        header = input.headers.get(self.header_key)
        request = input.args[0] if input.args else None
        if input.signal == SIGNAL_SUBMIT_RUN and header and isinstance(request, RunRequest):
            carrier = self.payload_converter.from_payloads([header])[0]
            if carrier:
                self.run_contexts[run_workflow_id(request.run.run_id)] = carrier
        await super().handle_signal(input)

    def submitted_context(self, child_workflow_id: str) -> Context | None:
        carrier = self.run_contexts.pop(child_workflow_id, None)
        if not carrier:
            return None
        return self._set_on_context(self.text_map_propagator.extract(carrier))


class _RunTracingWorkflowOutbound(_TracingWorkflowOutboundInterceptor):
    root: _RunTracingWorkflowInbound

    async def start_child_workflow(
        self, input: temporalio.worker.StartChildWorkflowInput
    ) -> temporalio.workflow.ChildWorkflowHandle:
        with attached_context(self.root.submitted_context(input.id)):
            return await super().start_child_workflow(input)
