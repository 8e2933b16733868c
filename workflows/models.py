"""Workflow and activity payloads. They carry ids, node names and statuses,
never graph state: state lives in LangGraph's checkpointer, so long threads
stay far below Temporal's payload limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class StepOptions:
    """Timeouts and retries of each super-step activity, fixed when the run starts."""

    max_attempts: int = 3
    initial_interval_s: float = 1.0
    backoff: float = 2.0
    max_interval_s: float = 30.0
    timeout_s: float = 3600.0
    heartbeat_timeout_s: float = 10.0


@dataclass(frozen=True)
class RunInput:
    run_id: str
    thread_id: str
    assistant_id: str
    graph_id: str
    step: StepOptions = field(default_factory=StepOptions)
    webhook: bool = False  # deliver the run's webhook once it ends
    temporary: bool = False  # a stateless run: delete its thread once it ends


@dataclass(frozen=True)
class RunRequest:
    """A run handed to its thread's ThreadWorkflow (update-with-start)."""

    run: RunInput
    multitask_strategy: str = "enqueue"  # reject | enqueue | interrupt | rollback
    after_seconds: float = 0.0


@dataclass(frozen=True)
class ThreadInput:
    thread_id: str
    # Runs still waiting when the workflow continued as new.
    queue: list[RunRequest] = field(default_factory=list)


@dataclass(frozen=True)
class CancelRequest:
    run_id: str
    action: str = "interrupt"  # interrupt: keep progress | rollback: erase the run


@dataclass(frozen=True)
class CancelOutcome:
    found: bool  # False: the run is not waiting or running on this thread


@dataclass(frozen=True)
class RunRef:
    run_id: str
    thread_id: str
    graph_id: str


@dataclass(frozen=True)
class RunPlan:
    """What `prepare_run` found: where the run starts and where it must stop."""

    active: bool  # False when the run was deleted or already ended: nothing to do
    next: list[str] = field(default_factory=list)  # nodes of the first super-step
    checkpoint_id: str | None = None  # the checkpoint the first step starts from
    resuming: bool = False  # no new input: the first step continues where the thread stopped
    has_command: bool = False  # a Command (resume/goto/update) goes with the first step
    interrupted: bool = False  # an interrupt() is already pending and no command answers it
    interrupt_before: list[str] = field(default_factory=list)  # ["*"] for all nodes
    interrupt_after: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StepInput:
    run_id: str
    thread_id: str
    graph_id: str
    from_checkpoint_id: str | None
    nodes: list[str]
    with_command: bool = False
    # LangGraph re-emits the current values when a stopped graph resumes; only
    # the first step of a run that applied no new input shows that to clients.
    emit_initial_values: bool = False


@dataclass(frozen=True)
class StepResult:
    checkpoint_id: str | None
    next: list[str]
    ran: list[str]
    interrupted: bool  # a node called interrupt(): the run stops, the thread waits


@dataclass(frozen=True)
class WebhookRequest:
    """Input of `steadygraph.deliver_webhook` (`steadygraph.webhooks.policy.WebhookInput`
    on the activity side): the URL stays in storage, out of Temporal's history."""

    run_id: str
    thread_id: str
    url: str = ""


@dataclass(frozen=True)
class RunEnd:
    run_id: str
    status: str  # success | error | interrupted | rollback (the run is erased)
    error: dict[str, str] | None = None
    thread_id: str = ""
    graph_id: str = ""


@dataclass(frozen=True)
class StateUpdate:
    """threads.update_state (or the `supersteps` of threads.create). The values
    travel through Temporal: they are a client's small edit, not the state."""

    thread_id: str
    graph_id: str
    values: Any = None
    as_node: str | None = None
    checkpoint_id: str | None = None
    # [[{"values": ..., "as_node": ...}, ...], ...]: one inner list per super-step.
    supersteps: list[list[dict[str, Any]]] | None = None


@dataclass(frozen=True)
class StateUpdateResult:
    checkpoint: dict[str, Any] | None


ACTIVITY_PREPARE_RUN = "steadygraph.prepare_run"
ACTIVITY_UPDATE_STATE = "steadygraph.update_state"
ACTIVITY_SWEEP_THREADS = "steadygraph.sweep_expired_threads"
ACTIVITY_FINISH_RUN = "steadygraph.finish_run"
ACTIVITY_DELIVER_WEBHOOK = "steadygraph.deliver_webhook"
ACTIVITY_DELETE_THREAD = "steadygraph.delete_thread"
ACTIVITY_DROP_QUEUED_RUN = "steadygraph.drop_queued_run"

THREAD_WORKFLOW_PREFIX = "thread-"


def thread_workflow_id(thread_id: str) -> str:
    return f"{THREAD_WORKFLOW_PREFIX}{thread_id}"
