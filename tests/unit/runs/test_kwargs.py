"""A run's options (`kwargs`) keep the JSON shape runs were stored with."""

from __future__ import annotations

import json

from steadygraph.graph.run_config import graph_config
from steadygraph.runs.kwargs import RunKwargs
from steadygraph.runs.request import RunCreate
from steadygraph.runs.submission import run_kwargs

ASSISTANT = {"assistant_id": "fe096781-5601-53d2-b2f6-0d3403f7e9ca", "graph_id": "agent"}


def _built(**request: object) -> RunKwargs:
    return run_kwargs(
        RunCreate.model_validate({"assistant_id": "agent", **request}),
        run_id="r1",
        thread_id="t1",
        assistant=ASSISTANT,
        metadata={"graph_id": "agent"},
        temporary=False,
    )


def test_stored_json_is_the_run_shape_in_order() -> None:
    kwargs = _built(
        input={"messages": [{"role": "human", "content": "hi"}]},
        config={"tags": ["a"], "configurable": {"model": "x"}},
        checkpoint={"checkpoint_id": "c1"},
        stream_mode=["updates", "values", "updates"],
        interrupt_before="*",
        durability="sync",
    )
    expected = {
        "input": {"messages": [{"role": "human", "content": "hi"}]},
        "command": None,
        "config": {
            "tags": ["a"],
            "configurable": {
                "model": "x",
                "run_id": "r1",
                "thread_id": "t1",
                "graph_id": "agent",
                "assistant_id": ASSISTANT["assistant_id"],
                "user_id": "",
                "checkpoint_id": "c1",
            },
            "metadata": {"graph_id": "agent"},
        },
        "context": {},
        "stream_mode": ["updates", "values"],
        "interrupt_before": "*",
        "interrupt_after": None,
        "webhook": None,
        "feedback_keys": None,
        "temporary": False,
        "subgraphs": False,
        "resumable": False,
        "checkpoint_during": True,
        "durability": "sync",
    }
    assert json.dumps(kwargs.stored()) == json.dumps(expected)
    assert kwargs.fork_checkpoint_id == "c1"


def test_a_stored_run_reads_back_unchanged() -> None:
    stored = _built(input=3, command=None, webhook="https://example.com/hook").stored()
    assert json.dumps(RunKwargs.of({"kwargs": stored}).stored()) == json.dumps(stored)


def test_missing_options_read_as_their_defaults() -> None:
    kwargs = RunKwargs.of({"kwargs": {"input": {}, "webhook": "https://example.com"}})
    assert kwargs.stream_mode == []
    assert kwargs.durability == "async"
    assert kwargs.config == {} and kwargs.fork_checkpoint_id is None
    assert not kwargs.temporary and not kwargs.subgraphs


def test_the_graph_sees_the_run_config_without_its_fork_point() -> None:
    run = {"kwargs": _built(checkpoint_id="c1", config={"recursion_limit": 5}).stored()}
    config = graph_config(run, {"config": {"configurable": {"model": "y"}}}, attempt=2)
    assert config["recursion_limit"] == 5
    assert config["configurable"]["model"] == "y"
    assert "checkpoint_id" not in config["configurable"]
    assert config["metadata"]["run_attempt"] == 2
