"""Shared clients of the API process, made once at start-up and handed to
routes through FastAPI dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from temporalio.client import Client

from steadygraph.project import ProjectConfig
from steadygraph.settings import Settings
from steadygraph.storage import Storage


@dataclass
class AppContext:
    settings: Settings
    project: ProjectConfig
    storage: Storage
    temporal: Client

    @property
    def graph_ids(self) -> list[str]:
        return list(self.project.graphs)

    def check_webhook(self, url: str) -> None:
        """422 for a webhook URL the project's policy refuses (see steadygraph.webhooks)."""
        # Wired to steadygraph.webhooks once it lands; until then every URL passes.
        return None


def _context(request: Request) -> AppContext:
    return request.app.state.context


Ctx = Annotated[AppContext, Depends(_context)]
