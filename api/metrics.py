"""`GET /metrics`: what an operator scrapes, in Prometheus' text format.

HTTP traffic (requests by route template and status, their durations) and live
stream subscribers are counted in this process; run counts by status and the
durations of runs that ran are read from storage at scrape time, so every API
replica reports the same totals and none is lost on restart. (The Temporal
worker's own metrics are served by the worker: STEADYGRAPH_WORKER_METRICS_ADDRESS.)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from typing import TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "HttpMetrics", "RunTotals", "counted_subscriber", "scrape"]

# Our own registry: the process' metrics and ours, nothing a user's graph code
# might register in prometheus_client's global one.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "steadygraph_http_requests",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "steadygraph_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response (a stream's whole life).",
    ["method", "route"],
    registry=REGISTRY,
)
STREAM_SUBSCRIBERS = Gauge(
    "steadygraph_stream_subscribers",
    "Server-Sent Event streams open now: run streams and thread streams.",
    ["kind"],
    registry=REGISTRY,
)

# Requests that reached no route (none matched, or refused before routing: no
# credentials) share one label, so scanners cannot grow the series.
UNROUTED = "<unrouted>"


class RunTotals(Collector):
    """Runs by status, from the storage read the scrape just made."""

    def __init__(self) -> None:
        self.totals: dict[str, tuple[int, float, int]] = {}

    def collect(self) -> Iterable[Metric]:
        runs = GaugeMetricFamily("steadygraph_runs", "Runs stored, by status.", labels=["status"])
        durations = SummaryMetricFamily(
            "steadygraph_run_duration_seconds",
            "Start-to-end time of the runs that started and ended, by status.",
            labels=["status"],
        )
        for status, (count, seconds, timed) in sorted(self.totals.items()):
            runs.add_metric([status], count)
            if timed:
                durations.add_metric([status], count_value=timed, sum_value=seconds)
        pending = GaugeMetricFamily(
            "steadygraph_runs_pending", "Runs accepted and not started yet."
        )
        pending.add_metric([], self.totals.get("pending", (0, 0.0, 0))[0])
        return [runs, pending, durations]


RUN_TOTALS = RunTotals()
REGISTRY.register(RUN_TOTALS)


def scrape(run_totals: dict[str, tuple[int, float, int]]) -> bytes:
    RUN_TOTALS.totals = run_totals
    return generate_latest(REGISTRY)


T = TypeVar("T")


async def counted_subscriber(kind: str, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """`events`, counted in steadygraph_stream_subscribers while it is being read."""
    gauge = STREAM_SUBSCRIBERS.labels(kind)
    gauge.inc()
    try:
        async for event in events:
            yield event
    finally:
        gauge.dec()
        # Closed with us, so its own clean-up (e.g. cancel on disconnect) runs now.
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()


class HttpMetrics:
    """ASGI middleware counting requests by route template (`/threads/{thread_id}`,
    not the path a client sent) and timing them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers an exception that escapes

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method, route = scope["method"], self._template(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)

    @staticmethod
    def _template(scope: Scope) -> str:
        # The router notes the route it matched in the scope it was handed;
        # this middleware sits inside the ones that hand on a copy.
        return getattr(scope.get("route"), "path", None) or UNROUTED
