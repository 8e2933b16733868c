"""A run as the API shows it: the stored run plus its Temporal UI link."""

from __future__ import annotations

from typing import Any

from steadygraph.services import Services
from steadygraph.temporal.client import workflow_ui_url


def run_response(ctx: Services, run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "temporal_ui_url": workflow_ui_url(ctx.settings, run["run_id"])}
