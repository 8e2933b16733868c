"""Connecting to Temporal, and what every part agrees on: search attributes,
task queue, workflow ids and the Web UI link of a run."""

from __future__ import annotations

import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from steadygraph.config.settings import Settings
from steadygraph.temporal.contract import SEARCH_ATTRIBUTES
from steadygraph.temporal.converter import DATA_CONVERTER
from steadygraph.tracing import temporal_interceptors

log = logging.getLogger(__name__)


async def connect(
    settings: Settings, address: str | None = None, *, runtime: Runtime | None = None
) -> Client:
    """A client as Temporal's client config describes it (steadygraph.temporal.client_config:
    API key, TLS client certificate and CA, gRPC metadata), traced when tracing is on;
    a worker built on it inherits the tracing interceptor."""
    return await Client.connect(
        address or settings.temporal_target,
        namespace=settings.temporal_namespace,
        runtime=runtime,
        interceptors=temporal_interceptors(settings),
        data_converter=DATA_CONVERTER,
        **settings.temporal_connect,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A Temporal SDK runtime serving its metrics (workflow and activity task
    latencies, slots, polls, ...) for Prometheus at STEADYGRAPH_WORKER_METRICS_ADDRESS;
    None, the SDK's default runtime, when that is unset."""
    if not settings.worker_metrics_address:
        return None
    prometheus = PrometheusConfig(bind_address=settings.worker_metrics_address)
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))


async def ensure_search_attributes(client: Client) -> None:
    """Register our search attributes if the namespace lacks them.

    The embedded server gets them on its command line already; this covers a
    self-hosted cluster. Temporal Cloud refuses the call (attributes are added
    in its console), which is logged, not fatal.
    """
    namespace = client.namespace
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {
            key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
            for key in SEARCH_ATTRIBUTES
            if key.name not in existing.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
    except Exception as exc:
        log.warning(
            "could not register search attributes %s: %s", [k.name for k in SEARCH_ATTRIBUTES], exc
        )


def workflow_ui_url(settings: Settings, workflow_id: str) -> str | None:
    if not settings.temporal_ui_url:
        return None
    base = settings.temporal_ui_url.rstrip("/")
    return f"{base}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"
