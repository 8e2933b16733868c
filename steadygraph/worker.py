"""The Temporal worker: hosts RunWorkflow and the activities that execute graphs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner

from steadygraph.activities import (
    CronActivities,
    MaintenanceActivities,
    RunActivities,
    ThreadActivities,
    WebhookActivities,
)
from steadygraph.assistants.graph_info import publish_graph_info
from steadygraph.config.project import load_project
from steadygraph.config.settings import Settings
from steadygraph.graph.checkpointer import open_checkpointer
from steadygraph.graph.loading import GraphRegistry
from steadygraph.graph.postgres_pool import shared_pool
from steadygraph.graph.step_fence import open_step_fence
from steadygraph.graph.store import open_store
from steadygraph.services import Services
from steadygraph.startup_retry import retrying
from steadygraph.storage import open_storage
from steadygraph.temporal.client import connect, metrics_runtime, workflow_ui_url
from steadygraph.threads.ttl_schedule import ensure_sweep_schedule
from steadygraph.tracing import setup_tracing
from steadygraph.webhooks.policy import WebhookPolicy
from steadygraph.worker_shutdown import StepsInFlight
from steadygraph.workflows import CronWorkflow, RunWorkflow, SweepThreadsWorkflow, ThreadWorkflow

log = logging.getLogger(__name__)

WORKFLOWS = [RunWorkflow, ThreadWorkflow, SweepThreadsWorkflow, CronWorkflow]


def workflow_runner() -> WorkflowRunner:
    """Workflows run unsandboxed: Temporal's sandbox re-imports the workflow
    modules into a fresh restricted environment for every workflow execution,
    which cost more CPU per run than anything a run's workflows do themselves
    (bench/README.md). Determinism is kept by the code (workflows/ does no
    I/O, reads no clock and draws no random number except through Temporal's
    APIs) and checked by replaying live and recorded histories
    (tests/e2e/test_temporal_history.py)."""
    return UnsandboxedWorkflowRunner()


def load_graphs(settings: Settings) -> GraphRegistry:
    """Import every graph of langgraph.json; a bad entry stops start-up here."""
    registry = GraphRegistry(load_project(settings.config_path))
    registry.load_all()
    return registry


async def run_worker(
    settings: Settings,
    *,
    client: Client | None = None,
    stop: asyncio.Event | None = None,
    graphs: GraphRegistry | None = None,
) -> None:
    graphs = graphs or load_graphs(settings)
    # Before connecting: the client (and so this worker) gets the tracing interceptor.
    setup_tracing(settings, "steadygraph-worker")
    storage = await retrying(
        "the database",
        settings.shown_storage_url,
        lambda: open_storage(settings.storage_url),
        timeout_s=settings.connect_timeout_s,
    )
    if client is None:
        runtime = metrics_runtime(settings)
        client = await retrying(
            "Temporal",
            settings.temporal_target,
            lambda: connect(settings, runtime=runtime),
            timeout_s=settings.connect_timeout_s,
        )
    try:
        async with (
            shared_pool(settings) as pool,
            open_checkpointer(settings, pool=pool) as checkpointer,
            open_step_fence(settings) as fence,
            # The API sweeps store TTLs; workers only read and write.
            open_store(settings, graphs.project, sweep_ttl=False, pool=pool) as store,
        ):
            # What the API shows of each graph (drawing, schemas) but cannot
            # compute without importing graph code; factories get the store.
            await publish_graph_info(storage, graphs, store)
            webhook_policy = WebhookPolicy.from_project_raw(
                graphs.project.raw, where=graphs.project.path.name
            )
            services = Services(
                settings, graphs.project, storage, client, webhook_policy, checkpointer
            )
            activities = RunActivities(
                storage, graphs, checkpointer, store, temporal=client, fence=fence
            )
            thread_activities = ThreadActivities(storage, client)
            maintenance = MaintenanceActivities(services)
            crons = CronActivities(services)
            webhooks = WebhookActivities(
                storage,
                webhook_policy,
                run_view=lambda run: {
                    **run,
                    "temporal_ui_url": workflow_ui_url(settings, run["run_id"]),
                },
            )
            steps = StepsInFlight()
            grace = settings.shutdown_grace_s
            worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=WORKFLOWS,
                activities=[
                    activities.prepare_run,
                    activities.execute_superstep,
                    activities.finish_run,
                    activities.drop_queued_run,
                    activities.delete_thread,
                    activities.update_state,
                    thread_activities.direct_runs,
                    thread_activities.cancel_direct_run,
                    webhooks.deliver_webhook,
                    maintenance.sweep_expired_threads,
                    crons.fire_cron,
                ],
                max_concurrent_activities=settings.max_concurrent_steps,
                workflow_runner=workflow_runner(),
                max_concurrent_local_activities=settings.max_concurrent_steps,
                # On SIGTERM: stop polling, let running steps finish for this
                # long, then cancel the rest (they are retried on another worker).
                graceful_shutdown_timeout=timedelta(seconds=grace),
                interceptors=[steps],
            )
            log.info(
                "worker polling task queue %r on %s", settings.task_queue, settings.temporal_address
            )
            async with worker:
                await ensure_sweep_schedule(client, settings)
                if stop is None:
                    await asyncio.Event().wait()
                else:
                    await stop.wait()
                log.info(
                    "stopping: polling ends; draining %d step(s) for up to %g s, "
                    "then handing back the rest",
                    len(steps.running),
                    grace,
                )
            log.info("worker stopped")
    finally:
        await storage.close()
