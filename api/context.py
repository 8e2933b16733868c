"""Shared clients of the API process, made once at start-up and handed to
routes through FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from temporalio.client import Client

from steadygraph.project import ProjectConfig
from steadygraph.settings import Settings
from steadygraph.storage import Storage
from steadygraph.webhooks import WebhookPolicy, WebhookRejected


@dataclass
class AppContext:
    settings: Settings
    project: ProjectConfig
    storage: Storage
    temporal: Client
    webhook_policy: WebhookPolicy = field(default_factory=WebhookPolicy)

    @property
    def graph_ids(self) -> list[str]:
        return list(self.project.graphs)

    def check_webhook(self, url: str) -> None:
        """422 for a webhook URL the project's policy refuses (see steadygraph.webhooks)."""
        try:
            self.webhook_policy.check(url)
        except WebhookRejected as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc


def _context(request: Request) -> AppContext:
    return request.app.state.context


Ctx = Annotated[AppContext, Depends(_context)]
