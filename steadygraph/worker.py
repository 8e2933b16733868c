"""The Temporal worker: hosts RunWorkflow and the activities that execute graphs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities import RunActivities
from activities.webhook_activities import WebhookActivities
from steadygraph.checkpointer import open_checkpointer
from steadygraph.graphs import GraphRegistry
from steadygraph.project import load_project
from steadygraph.settings import Settings
from steadygraph.storage import open_storage
from steadygraph.temporal import connect, workflow_ui_url
from steadygraph.webhooks import WebhookPolicy
from workflows import RunWorkflow, ThreadWorkflow

log = logging.getLogger(__name__)


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
    storage = await open_storage(settings.storage_url)
    client = client or await connect(settings)
    try:
        async with open_checkpointer(settings) as checkpointer:
            activities = RunActivities(storage, graphs, checkpointer)
            webhooks = WebhookActivities(
                storage,
                WebhookPolicy.from_project_raw(graphs.project.raw, where=graphs.project.path.name),
                run_view=lambda run: {
                    **run,
                    "temporal_ui_url": workflow_ui_url(settings, run["run_id"]),
                },
            )
            worker = Worker(
                client,
                task_queue=settings.task_queue,
                workflows=[RunWorkflow, ThreadWorkflow],
                activities=[
                    activities.prepare_run,
                    activities.execute_superstep,
                    activities.finish_run,
                    activities.drop_queued_run,
                    activities.delete_thread,
                    activities.update_state,
                    webhooks.deliver_webhook,
                ],
                max_concurrent_activities=settings.max_concurrent_steps,
                max_concurrent_local_activities=settings.max_concurrent_steps,
                graceful_shutdown_timeout=timedelta(seconds=5),
            )
            log.info(
                "worker polling task queue %r on %s", settings.task_queue, settings.temporal_address
            )
            async with worker:
                if stop is None:
                    await asyncio.Event().wait()
                else:
                    await stop.wait()
    finally:
        await storage.close()
