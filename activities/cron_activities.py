"""The activity of CronWorkflow: create the run of one cron firing.

It reads the cron from its Temporal Schedule and submits the run through
`steadygraph.runs.submission.submit_run`, the path every run takes. What the
service refuses (deleted thread or assistant, a busy thread under "reject", a
webhook the policy forbids) fails this firing at once: a retry would meet the
same refusal. An outage (database, Temporal) is retried within the firing's
deadline.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from steadygraph.crons.service import fire_cron
from steadygraph.errors import ServiceError, Unavailable
from steadygraph.services import Services
from steadygraph.temporal.contract import ACTIVITY_FIRE_CRON, CronFired, CronFiring


class CronActivities:
    def __init__(self, services: Services) -> None:
        self.services = services

    @activity.defn(name=ACTIVITY_FIRE_CRON)
    async def fire_cron(self, firing: CronFiring) -> CronFired:
        try:
            return await fire_cron(self.services, firing.cron_id)
        except ServiceError as exc:
            # The error's kind (NotFound, Conflict, Invalid, ...) becomes the
            # failure type shown on the firing in the Temporal UI; a subclass
            # (e.g. storage's ThreadBusyError) shows as the kind it is.
            kind = next(c for c in type(exc).__mro__ if c.__module__ == ServiceError.__module__)
            raise ApplicationError(
                exc.detail,
                {"status_code": exc.status_code},
                type=kind.__name__,
                non_retryable=not isinstance(exc, Unavailable),
            ) from exc
