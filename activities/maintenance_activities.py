"""Housekeeping: thread TTLs (`ttl` on threads.create / update)."""

from __future__ import annotations

import logging

from temporalio import activity

from steadygraph.services import Services
from steadygraph.temporal.contract import ACTIVITY_SWEEP_THREADS
from steadygraph.threads import service as thread_service

log = logging.getLogger(__name__)


class MaintenanceActivities:
    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name=ACTIVITY_SWEEP_THREADS)
    async def sweep_expired_threads(self) -> int:
        """Delete expired threads (strategy "delete") or keep only their latest
        checkpoint ("keep_latest"); returns how many were swept."""
        storage = self.services.storage
        swept = 0
        for thread_id, strategy in await storage.expired_threads():
            activity.heartbeat(thread_id)
            if await storage.active_runs(thread_id):
                continue  # a busy thread is swept once its runs are done
            if strategy == "keep_latest":
                await thread_service.keep_latest_checkpoint(self.services, thread_id)
                await storage.clear_expiry(thread_id)
            else:
                await thread_service.delete_thread(self.services, thread_id)
            swept += 1
        if swept:
            log.info("swept %d expired threads", swept)
        return swept
