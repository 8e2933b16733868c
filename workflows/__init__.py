"""Deterministic orchestration only: no I/O, clocks or randomness here except
through Temporal's APIs. Side effects live in `activities/`."""

from steadygraph.workflows.run_workflow import RunWorkflow
from steadygraph.workflows.thread_workflow import ThreadWorkflow

__all__ = ["RunWorkflow", "ThreadWorkflow"]
