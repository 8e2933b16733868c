"""OpenTelemetry: one trace per run, from the HTTP request through the thread's and
the run's workflows to each step's activity and the graph nodes inside it.

The API and the worker export over OTLP/HTTP (the standard exporter, configured
by OTEL_EXPORTER_OTLP_ENDPOINT) to a receiver run by this test process, which
decodes the requests with opentelemetry-proto's own message classes."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from harness import dedicated_deployment, wait_until
from langgraph_sdk import get_client
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from steadygraph.dev.temporal_server import EmbeddedTemporal

WEATHER = {"messages": [{"role": "human", "content": "what's the weather in sf"}]}


@dataclass(frozen=True)
class Span:
    name: str
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, str]


class OtlpReceiver:
    """An OTLP/HTTP trace endpoint on a free loopback port, keeping every span."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        lock = threading.Lock()
        spans = self.spans

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = ExportTraceServiceRequest.FromString(body)
                with lock:
                    spans.extend(_spans_of(request))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == "/v1/traces" else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def named(self, name: str, trace_id: str | None = None) -> list[Span]:
        return [
            s
            for s in list(self.spans)
            if s.name == name and (trace_id is None or s.trace_id == trace_id)
        ]


def _spans_of(request: ExportTraceServiceRequest) -> Iterator[Span]:
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield Span(
                    name=span.name,
                    service=resource.get("service.name", ""),
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex(),
                    attributes={
                        a.key: a.value.string_value or str(a.value.int_value)
                        for a in span.attributes
                    },
                )


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture(scope="module")
def traced_url(
    temporal_server: EmbeddedTemporal,
    database_url: str | None,
    receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    env = {
        # Tracing is on because an OTLP endpoint is set (no STEADYGRAPH_OTEL needed).
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with dedicated_deployment(
        temporal_server.address, database_url, tmp_path_factory.mktemp("traced"), extra_env=env
    ) as deployment:
        yield deployment.url


def _one(spans: list[Span], what: str) -> Span:
    assert len(spans) == 1, f"{what}: {spans}"
    return spans[0]


def _child(receiver: OtlpReceiver, name: str, parent: Span) -> list[Span]:
    return [s for s in receiver.named(name, parent.trace_id) if s.parent_id == parent.span_id]


def _assert_run_trace(
    receiver: OtlpReceiver,
    thread_id: str,
    run_id: str,
    *,
    queued: bool,
    steps: tuple[str, ...],
) -> None:
    """The run's spans form one tree rooted at the API's span of its POST
    request. A run alone on its thread is started by the API itself; one
    `queued` behind another goes through the thread's workflow."""
    # The API's server span of the request: a root span named after the route.
    posts = [
        s
        for s in receiver.spans
        if s.name.startswith("POST /threads/{thread_id}/runs") and not s.parent_id
    ]
    # The run's workflow span carries its workflow id (the run id); walk up from it.
    run_workflow = _one(
        [
            s
            for s in receiver.named("RunWorkflow:RunWorkflow")
            if s.attributes.get("temporalWorkflowID") == run_id
        ],
        "the run's workflow span",
    )
    trace = run_workflow.trace_id
    request = _one([s for s in posts if s.trace_id == trace], "the request in the run's trace")
    assert request.service == "steadygraph-api"
    if queued:
        submit = _one(
            [
                s
                for s in receiver.named("SignalWithStartWorkflow:ThreadWorkflow", trace)
                if s.attributes.get("temporalWorkflowID", "").endswith(thread_id)
            ],
            "signal-with-start",
        )
        assert submit.parent_id == request.span_id
        start = _one(
            [s for s in receiver.named("StartChildWorkflow:RunWorkflow", trace)], "child start"
        )
        assert start.parent_id == submit.span_id
    else:
        start = _one(
            [
                s
                for s in receiver.named("StartWorkflow:RunWorkflow", trace)
                if s.attributes.get("temporalWorkflowID") == run_id
            ],
            "the API's start of the run's workflow",
        )
        assert start.parent_id == request.span_id
        assert not receiver.named("SignalWithStartWorkflow:ThreadWorkflow", trace)
    assert run_workflow.parent_id == start.span_id
    assert run_workflow.service == "steadygraph-worker"

    # Each step: the workflow's StartActivity (Temporal's workflow spans are
    # instants, siblings under the context the workflow was started with), the
    # worker's RunActivity under it, and a span per node under that.
    for step in steps:
        starts = _child(receiver, f"StartActivity:{step}", start)
        assert starts, f"no StartActivity:{step} under the run's workflow"
        activities = [a for s in starts for a in _child(receiver, f"RunActivity:{step}", s)]
        assert activities, f"no RunActivity:{step}"
        for activity in activities:
            ran = {
                s.attributes["langgraph.node"]
                for s in receiver.spans
                if s.parent_id == activity.span_id and s.name.startswith("node ")
            }
            # The run's first step also applies its input (LangGraph's
            # `__start__`): the run is prepared there, with no activity of its own.
            assert ran - {"__start__"} == {step}
    assert not _child(receiver, "StartActivity:steadygraph.prepare_run", start)


async def test_a_run_is_one_trace_from_request_to_nodes(
    traced_url: str, receiver: OtlpReceiver
) -> None:
    client = get_client(url=traced_url)
    thread = await client.threads.create()
    # The first run has the thread to itself: the API starts its workflow.
    first = await client.runs.create(thread["thread_id"], "slow", input={"sleep_s": 1.0})
    # The second comes while the first runs, so it queues in the thread's
    # workflow (started by this request): its child workflow must join the
    # second request's trace, not the first's.
    second = await client.runs.create(thread["thread_id"], "agent", input=WEATHER)
    await client.runs.join(thread["thread_id"], second["run_id"])
    runs = {r["run_id"]: r for r in await client.runs.list(thread["thread_id"])}
    assert {r["status"] for r in runs.values()} == {"success"}

    def ran(run_id: str, step: str) -> int:
        spans = receiver.named(f"RunActivity:{step}")
        return sum(s.attributes.get("temporalWorkflowID") == run_id for s in spans)

    def exported() -> bool:
        # Each run's last step (which records the run's end) has its span.
        return ran(first["run_id"], "step3") == 1 and ran(second["run_id"], "agent") == 2

    wait_until(exported, 60, "both runs' spans")
    _assert_run_trace(
        receiver,
        thread["thread_id"],
        first["run_id"],
        queued=False,
        steps=("step1", "step2", "step3"),
    )
    _assert_run_trace(
        receiver, thread["thread_id"], second["run_id"], queued=True, steps=("agent", "tools")
    )
    traces = {
        _one(
            [
                s
                for s in receiver.named("RunWorkflow:RunWorkflow")
                if s.attributes.get("temporalWorkflowID") == run_id
            ],
            "run workflow",
        ).trace_id
        for run_id in runs
    }
    assert len(traces) == 2
