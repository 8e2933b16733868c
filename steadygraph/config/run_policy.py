"""The `steadygraph` section of langgraph.json: step timeouts and retries per
graph and per node, and the longest a run may take.

LangGraph's schema lets a config carry keys it does not define, so Steadygraph's
own settings live under one namespaced key:

    "steadygraph": {
      "step": {"max_attempts": 3, "heartbeat_timeout_seconds": 30},
      "run_timeout_seconds": 3600,
      "graphs": {
        "agent": {
          "step": {"timeout_seconds": 600, "local": true},
          "run_timeout_seconds": 900,
          "nodes": {"charge_card": {"max_attempts": 1, "local": false}}
        }
      }
    }

Each level lays the fields it sets over the one above it: the environment's
(STEADYGRAPH_STEP_*), then `step`, the graph's `step`, the node's entry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from steadygraph.config.errors import ConfigError
from steadygraph.temporal.contract import StepPolicy

SECTION = "steadygraph"

_Seconds = Annotated[float, Field(gt=0)]


class StepPolicyConfig(BaseModel):
    """Timeouts and retries of a super-step activity; unset fields inherit."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: _Seconds | None = None
    heartbeat_timeout_seconds: _Seconds | None = None
    max_attempts: Annotated[int, Field(ge=1)] | None = None
    initial_interval_seconds: _Seconds | None = None
    backoff_coefficient: Annotated[float, Field(ge=1)] | None = None
    max_interval_seconds: _Seconds | None = None
    # Run the step as a Temporal local activity (see README, "Local steps").
    local: bool | None = None

    def over(self, base: StepPolicy) -> StepPolicy:
        fields: dict[str, Any] = {
            "timeout_s": self.timeout_seconds,
            "heartbeat_timeout_s": self.heartbeat_timeout_seconds,
            "max_attempts": self.max_attempts,
            "initial_interval_s": self.initial_interval_seconds,
            "backoff": self.backoff_coefficient,
            "max_interval_s": self.max_interval_seconds,
            "local": self.local,
        }
        return replace(base, **{k: v for k, v in fields.items() if v is not None})


class GraphPolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: StepPolicyConfig = Field(default_factory=StepPolicyConfig)
    run_timeout_seconds: _Seconds | None = None
    nodes: dict[str, StepPolicyConfig] = Field(default_factory=dict)


class RunPolicyConfig(BaseModel):
    """The whole `steadygraph` section."""

    model_config = ConfigDict(extra="forbid")

    step: StepPolicyConfig = Field(default_factory=StepPolicyConfig)
    run_timeout_seconds: _Seconds | None = None
    graphs: dict[str, GraphPolicyConfig] = Field(default_factory=dict)

    def step_policy(self, base: StepPolicy, graph_id: str) -> StepPolicy:
        """The policy of a step of `graph_id` whose nodes have no entry of their own."""
        graph = self.graphs.get(graph_id)
        project = self.step.over(base)
        return graph.step.over(project) if graph else project

    def node_policies(self, base: StepPolicy, graph_id: str) -> dict[str, StepPolicy]:
        """Only the nodes of `graph_id` with an entry: what a run must carry."""
        graph = self.graphs.get(graph_id)
        if graph is None:
            return {}
        default = self.step_policy(base, graph_id)
        return {node: entry.over(default) for node, entry in graph.nodes.items()}

    def unknown_nodes(self, graph_id: str, nodes: list[str]) -> list[str]:
        """The nodes named under `graph_id` that the graph does not have."""
        graph = self.graphs.get(graph_id)
        return [node for node in (graph.nodes if graph else {}) if node not in nodes]

    def run_timeout_s(self, default: float | None, graph_id: str) -> float | None:
        graph = self.graphs.get(graph_id)
        if graph is not None and graph.run_timeout_seconds is not None:
            return graph.run_timeout_seconds
        return self.run_timeout_seconds if self.run_timeout_seconds is not None else default


def parse_run_policy(value: object, graph_ids: list[str], where: str) -> RunPolicyConfig:
    """Validate the `steadygraph` section; a bad value stops start-up with one line."""
    if value is None:
        return RunPolicyConfig()
    try:
        policy = RunPolicyConfig.model_validate(value)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {_one_line(exc)}") from None
    unknown = [graph_id for graph_id in policy.graphs if graph_id not in graph_ids]
    if unknown:
        raise ConfigError(
            f"{where}: {SECTION}.graphs: no graph {unknown[0]!r} in 'graphs' "
            f"(declared: {', '.join(graph_ids)})"
        )
    return policy


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        path = ".".join([SECTION, *(str(part) for part in error["loc"])])
        problems.append(f"{path}: {error['msg']} (got {_shown(error['input'])})")
    return "; ".join(problems)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
