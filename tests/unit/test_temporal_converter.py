"""Steadygraph's data converter (steadygraph.temporal.converter) writes what
Temporal's default writes and reads back the same values, reading each
dataclass's field types once."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.converter import DataConverter

from steadygraph.temporal.contract import (
    QueuedStateUpdate,
    RunEnd,
    RunInput,
    RunPlan,
    RunProgress,
    RunStops,
    StateUpdate,
    StepInput,
    StepPolicy,
    StepResult,
)
from steadygraph.temporal.converter import DATA_CONVERTER, field_hints

PLAN = RunPlan(active=True, next=["agent"], checkpoint_id="c0", interrupt_after=["tools"])
VALUES: list[Any] = [
    RunInput(
        "r",
        "t",
        "a",
        "agent",
        step=StepPolicy(local=False, max_attempts=5),
        node_steps={"tools": StepPolicy(timeout_s=900.0)},
        run_timeout_s=30.0,
        metadata_keys=["k"],
        progress=RunProgress(PLAN, ["tools"], "c1", 7, cancel_action="rollback"),
    ),
    StepInput("r", "t", "agent", "c0", ["agent"], stops=RunStops(["*"], [], direct=True)),
    StepInput("r", "t", "agent", None, []),
    StepResult("c1", ["tools"], ["agent"], False, run_ended=True),
    RunEnd("r", "error", {"error": "ValueError", "message": "no"}, "t", "agent", recorded=True),
    QueuedStateUpdate("u", StateUpdate("t", "agent", values={"messages": [1, None]})),
    PLAN,
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_payloads_are_the_defaults_and_read_back_the_same(value: Any) -> None:
    ours, default = DATA_CONVERTER.payload_converter, DataConverter.default.payload_converter
    payload = ours.to_payload(value)
    assert payload == default.to_payload(value)
    assert ours.from_payload(payload, type(value)) == value
    assert ours.from_payload(payload, type(value)) == default.from_payload(payload, type(value))


def test_a_payload_from_an_older_version_gets_the_new_fields_defaults() -> None:
    old = DataConverter.default.payload_converter.to_payload(
        {"checkpoint_id": "c1", "next": [], "ran": ["agent"], "interrupted": False}
    )
    read = DATA_CONVERTER.payload_converter.from_payload(old, StepResult)
    assert read == StepResult("c1", [], ["agent"], False, run_ended=False)


def test_field_types_are_read_once_per_class() -> None:
    converter = DATA_CONVERTER.payload_converter
    payload = converter.to_payload(VALUES[0])
    converter.from_payload(payload, RunInput)
    misses = field_hints.cache_info().misses
    for _ in range(3):
        converter.from_payload(payload, RunInput)
    assert field_hints.cache_info().misses == misses
