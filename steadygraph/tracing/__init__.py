"""Optional tracing: OpenTelemetry spans over OTLP, and LangSmith's run tree.

OpenTelemetry is on when `Settings.otel` is (STEADYGRAPH_OTEL, or an OTLP endpoint
in the environment); its packages are the `otel` extra and are imported only then,
so a process without them runs untraced. One trace then spans the HTTP request,
the thread's and the run's workflows, each step's activity and the graph nodes
inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from steadygraph.config.settings import Settings, SettingsError

if TYPE_CHECKING:
    from fastapi import FastAPI

INSTALL_HINT = "pip install 'steadygraph[otel]'"

_installed = False


class TracingUnavailable(SettingsError):
    """Tracing is on but OpenTelemetry is not installed; the message says how to fix it."""


def setup_tracing(settings: Settings, service_name: str) -> bool:
    """Install the process's OTLP-exporting tracer provider once; whether tracing is on."""
    global _installed
    if not settings.otel:
        return False
    if not _installed:
        try:
            from steadygraph.tracing.otel import install_tracer_provider
        except ImportError as exc:
            raise TracingUnavailable(
                f"STEADYGRAPH_OTEL is on but OpenTelemetry is not installed ({exc.name}): "
                f"{INSTALL_HINT}"
            ) from None
        install_tracer_provider(service_name)
        _installed = True
    return True


def tracing_active() -> bool:
    """Whether this process exports OpenTelemetry spans (setup_tracing ran with tracing on)."""
    return _installed


def temporal_interceptors(settings: Settings) -> list[Any]:
    """Temporal client interceptors: the tracing one when this process traces (a
    worker built on the client uses it too)."""
    if not (settings.otel and _installed):
        return []
    from steadygraph.tracing.temporal import RunTracingInterceptor

    return [RunTracingInterceptor()]


def instrument_app(app: FastAPI, settings: Settings) -> None:
    """A server span per HTTP request (health checks and scrapes left out)."""
    if not setup_tracing(settings, "steadygraph-api"):
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, excluded_urls="/ok$,/metrics$")


def node_span_callbacks() -> list[Any]:
    """LangChain callbacks giving each graph node a span under the current one
    (the step's activity span); none when tracing is off."""
    if not _installed:
        return []
    from steadygraph.tracing.nodes import NodeSpans

    return [NodeSpans()]
