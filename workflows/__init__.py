"""Steadygraph's Temporal workflows: deterministic orchestration only, no I/O,
clocks or randomness except through Temporal's APIs. Side effects live in
`steadygraph.activities`; what both sides exchange is
`steadygraph.temporal.contract`.

- RunWorkflow: one run, one activity per LangGraph super-step.
- ThreadWorkflow: orders a thread's runs (multitask strategies, cancels, state updates).
- CronWorkflow: one firing of a cron's Temporal Schedule.
- SweepThreadsWorkflow: applies thread TTLs on a Temporal Schedule.
"""

from steadygraph.workflows.cron_workflow import CronWorkflow
from steadygraph.workflows.run_workflow import RunWorkflow
from steadygraph.workflows.sweep_workflow import SweepThreadsWorkflow
from steadygraph.workflows.thread_workflow import ThreadWorkflow

__all__ = ["CronWorkflow", "RunWorkflow", "SweepThreadsWorkflow", "ThreadWorkflow"]
