"""The shared clients a Steadygraph process works with, made once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from langgraph.checkpoint.base import BaseCheckpointSaver
from temporalio.client import Client

from steadygraph.config.project import ProjectConfig
from steadygraph.config.settings import Settings
from steadygraph.errors import Invalid
from steadygraph.runs.entry_nodes import EntryNodes
from steadygraph.storage import Storage
from steadygraph.webhooks.policy import WebhookPolicy, WebhookRejected


@dataclass
class Services:
    settings: Settings
    project: ProjectConfig
    storage: Storage
    temporal: Client
    webhook_policy: WebhookPolicy = field(default_factory=WebhookPolicy)
    # LangGraph's checkpointer, for copies and deletes; reading state never needs it.
    checkpointer: BaseCheckpointSaver | None = None
    # Graphs' published entry nodes, for naming a new run's first step.
    entry_nodes: EntryNodes = field(default_factory=EntryNodes)

    @property
    def graph_ids(self) -> list[str]:
        return list(self.project.graphs)

    def check_webhook(self, url: str) -> None:
        """Refuse a webhook URL the project's policy does not allow (422)."""
        try:
            self.webhook_policy.check(url)
        except WebhookRejected as exc:
            raise Invalid(str(exc)) from exc
