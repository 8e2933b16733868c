"""langgraph.json's `steadygraph` section (steadygraph.config.run_policy)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from steadygraph.config.project import ConfigError, load_project
from steadygraph.graph.loading import GraphRegistry
from steadygraph.temporal.contract import StepPolicy, step_policy_of

BASE = StepPolicy(max_attempts=3, initial_interval_s=1, timeout_s=3600, heartbeat_timeout_s=10)


def _project(tmp_path: Path, section: Any) -> Any:
    files = {"agent.py": "graph = None\n", "other.py": "graph = None\n"}
    config = {"graphs": {"agent": "./agent.py:graph", "other": "./other.py:graph"}}
    if section is not None:
        config["steadygraph"] = section
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    return load_project(tmp_path / "langgraph.json")


def test_without_the_section_the_environment_decides(tmp_path: Path) -> None:
    policy = _project(tmp_path, None).run_policy

    assert policy.step_policy(BASE, "agent") == BASE
    assert policy.node_policies(BASE, "agent") == {}
    assert policy.run_timeout_s(None, "agent") is None
    assert policy.run_timeout_s(60.0, "agent") == 60.0


def test_each_level_lays_what_it_sets_over_the_one_above(tmp_path: Path) -> None:
    policy = _project(
        tmp_path,
        {
            "step": {"heartbeat_timeout_seconds": 30, "max_attempts": 5},
            "run_timeout_seconds": 600,
            "graphs": {
                "agent": {
                    "step": {"timeout_seconds": 120, "backoff_coefficient": 3},
                    "run_timeout_seconds": 90,
                    "nodes": {"charge": {"max_attempts": 1, "max_interval_seconds": 5}},
                }
            },
        },
    ).run_policy

    agent = StepPolicy(
        max_attempts=5, initial_interval_s=1, backoff=3, timeout_s=120, heartbeat_timeout_s=30
    )
    assert policy.step_policy(BASE, "agent") == agent
    assert policy.node_policies(BASE, "agent") == {
        "charge": StepPolicy(
            max_attempts=1,
            initial_interval_s=1,
            backoff=3,
            max_interval_s=5,
            timeout_s=120,
            heartbeat_timeout_s=30,
        )
    }
    assert policy.run_timeout_s(None, "agent") == 90
    # Another graph: the project's level only, and no node entries to carry.
    assert policy.step_policy(BASE, "other") == StepPolicy(
        max_attempts=5, initial_interval_s=1, timeout_s=3600, heartbeat_timeout_s=30
    )
    assert policy.node_policies(BASE, "other") == {}
    assert policy.run_timeout_s(None, "other") == 600


@pytest.mark.parametrize(
    "section, message",
    [
        (
            {"step": {"max_attempts": 0}},
            "steadygraph.step.max_attempts: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            {"graphs": {"agent": {"nodes": {"n": {"timeout_seconds": "soon"}}}}},
            "steadygraph.graphs.agent.nodes.n.timeout_seconds: Input should be a valid number",
        ),
        (
            {"step": {"timeout": 5}},
            "steadygraph.step.timeout: Extra inputs are not permitted",
        ),
        ({"run_timeout_seconds": -1}, "steadygraph.run_timeout_seconds: Input should be greater"),
        ({"graphs": {"agnet": {}}}, "steadygraph.graphs: no graph 'agnet' in 'graphs'"),
        ("fast", "steadygraph: Input should be a valid dictionary"),
    ],
)
def test_a_bad_value_stops_start_up_with_one_line(
    tmp_path: Path, section: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _project(tmp_path, section)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_step_of_several_nodes_takes_the_fewest_attempts_and_the_longest_waits() -> None:
    careful = StepPolicy(max_attempts=1, timeout_s=60, heartbeat_timeout_s=5, max_interval_s=10)
    slow = StepPolicy(max_attempts=4, timeout_s=900, heartbeat_timeout_s=2, initial_interval_s=3)
    per_node = {"charge": careful, "crawl": slow}

    assert step_policy_of(["agent"], BASE, per_node) == BASE
    assert step_policy_of(["charge"], BASE, per_node) == careful
    assert step_policy_of(["charge", "crawl", "agent"], BASE, per_node) == StepPolicy(
        max_attempts=1,
        initial_interval_s=3,
        backoff=2.0,
        max_interval_s=30.0,
        timeout_s=3600,
        heartbeat_timeout_s=10,
    )
    assert step_policy_of([], BASE, per_node) == BASE


def test_the_worker_names_a_node_entry_its_graph_does_not_have(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    graph = (
        "from langgraph.graph import StateGraph, START\n"
        "builder = StateGraph(dict)\n"
        "builder.add_node('charge', lambda state: state)\n"
        "builder.add_edge(START, 'charge')\n"
        "graph = builder.compile()\n"
    )
    (tmp_path / "g.py").write_text(graph)
    config = {
        "graphs": {"g": "./g.py:graph"},
        "steadygraph": {"graphs": {"g": {"nodes": {"charge": {}, "chrage": {}}}}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    registry = GraphRegistry(load_project(tmp_path / "langgraph.json"))

    with caplog.at_level(logging.WARNING, logger="steadygraph.graph.loading"):
        registry.load_all()

    warnings = [r.getMessage() for r in caplog.records]
    assert warnings == [
        "langgraph.json: steadygraph.graphs.g.nodes: graph 'g' has no node 'chrage'; "
        "its entry applies to nothing (nodes: charge)"
    ]


def test_local_steps_are_chosen_per_graph_and_node_and_a_shared_step_is_local_only_if_all_are(
    tmp_path: Path,
) -> None:
    policy = _project(
        tmp_path,
        {
            "graphs": {
                "agent": {"step": {"local": True}, "nodes": {"crawl": {"local": False}}},
            }
        },
    ).run_policy

    agent = policy.step_policy(BASE, "agent")
    per_node = policy.node_policies(BASE, "agent")
    assert agent.local and not policy.step_policy(BASE, "other").local
    assert step_policy_of(["agent", "tools"], agent, per_node).local
    assert not step_policy_of(["crawl"], agent, per_node).local
    assert not step_policy_of(["agent", "crawl"], agent, per_node).local
