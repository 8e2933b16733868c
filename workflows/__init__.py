"""Deterministic orchestration only: no I/O, clocks or randomness here except
through Temporal's APIs. Side effects live in `activities/`."""

from workflows.run_workflow import RunWorkflow
from workflows.thread_workflow import ThreadWorkflow

__all__ = ["RunWorkflow", "ThreadWorkflow"]
