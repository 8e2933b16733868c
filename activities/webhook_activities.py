"""The webhook of a finished run: read the run from storage, POST it.

RunWorkflow schedules `steadygraph.deliver_webhook` after `finish_run`, so the
stored status, end time and output are final. Temporal retries a failed POST;
a URL the policy refuses, or an answer a repeat cannot change, fails at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from steadygraph.runs.kwargs import RunKwargs
from steadygraph.runs.output import run_output
from steadygraph.storage import Storage
from steadygraph.temporal.contract import ACTIVITY_DELIVER_WEBHOOK, WEBHOOK_REJECTED, WebhookInput
from steadygraph.webhooks.policy import (
    WebhookDeliveryError,
    WebhookPolicy,
    WebhookRejected,
    deliver,
)

__all__ = ["WebhookActivities"]

RunView = Callable[[dict[str, Any]], dict[str, Any]]


class WebhookActivities:
    def __init__(
        self,
        storage: Storage,
        policy: WebhookPolicy,
        *,
        run_view: RunView | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        """`run_view` turns a stored run into the JSON GET /threads/{tid}/runs/{rid}
        answers (the API adds `temporal_ui_url`); the payload starts from it."""
        self.storage = storage
        self.policy = policy
        self.run_view = run_view
        self.timeout_s = timeout_s

    async def payload(self, run: dict[str, Any], thread_id: str) -> dict[str, Any]:
        run_id = run["run_id"]
        started, ended = await self.storage.get_run_times(run_id)
        values = await run_output(self.storage, run_id, thread_id)
        payload = {
            **(self.run_view(run) if self.run_view else run),
            "run_started_at": started,
            "run_ended_at": ended,
            "webhook_sent_at": datetime.now(UTC).isoformat(),
            "values": values,
        }
        # LangGraph Server also names a failed run's error at the top level.
        if isinstance(values, dict) and "__error__" in values:
            payload["error"] = values["__error__"]
        return self.policy.payload_fields(payload)

    @activity.defn(name=ACTIVITY_DELIVER_WEBHOOK)
    async def deliver_webhook(self, request: WebhookInput) -> None:
        log = activity.logger
        if self.policy.disabled:
            log.info("webhooks are disabled (http.disable_webhooks); run %s", request.run_id)
            return
        run = await self.storage.get_run(request.run_id)
        if run is None:  # deleted (or rolled back) since it ended: nothing to report
            return
        url = request.url or RunKwargs.of(run).webhook
        if not url:
            return
        try:
            # Checked again: the project's policy may have changed since the run
            # was accepted.
            self.policy.check(url)
            payload = await self.payload(run, request.thread_id or run["thread_id"])
            status = await deliver(
                url,
                payload,
                headers=self.policy.headers,
                timeout_s=self.timeout_s,
                policy=self.policy,
            )
        except WebhookRejected as exc:
            raise ApplicationError(str(exc), type=WEBHOOK_REJECTED, non_retryable=True) from exc
        except WebhookDeliveryError as exc:
            raise ApplicationError(
                str(exc), type="WebhookDeliveryError", non_retryable=not exc.retryable
            ) from exc
        log.info("webhook of run %s delivered (%s)", request.run_id, status)
