"""The contract between the API, the workflows and the activities.

Everything two sides of Temporal must agree on is named once, here: workflow
type names and ids, activity names, the payloads they exchange, search
attributes, the error types a retry cannot fix, and the retry policy of a
super-step. `@workflow.defn`/`@activity.defn` and every `execute_activity`,
`start_workflow` or `get_workflow_handle` refer to these symbols.

Payloads carry ids, node names and statuses, never graph state: state lives in
LangGraph's checkpointer, so long threads stay far below Temporal's payload
limit.

Stable on purpose: workflow type names, activity names and the JSON field
names of the payloads are recorded in every workflow history; renaming one
breaks the replay of runs already in flight (tests/histories). Python names
may change freely.

Deterministic by construction: workflow code imports it (and the replay
tests load it inside Temporal's sandbox), so it holds only dataclasses and
constants and imports nothing but the standard library and temporalio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

# --- Workflow types and ids -------------------------------------------------

RUN_WORKFLOW = "RunWorkflow"
THREAD_WORKFLOW = "ThreadWorkflow"
CRON_WORKFLOW = "CronWorkflow"
SWEEP_THREADS_WORKFLOW = "SweepThreadsWorkflow"

THREAD_WORKFLOW_PREFIX = "thread-"

# The signal that hands a run to its thread's ThreadWorkflow (with start): a
# signal needs no worker, so a run is accepted while none is alive.
SIGNAL_SUBMIT_RUN = "submit_run"
# A run started without the thread's workflow has ended: sent to that
# workflow (when it runs) so runs queued behind the direct run may start.
SIGNAL_RUN_ENDED = "run_ended"
# threads.update_state, handed to the thread's workflow (with start) like a
# run: stored by the Temporal server at once, so it is never lost or applied
# twice whatever the workers do. The API then asks for its outcome by the
# update below, which needs a worker and may time out harmlessly.
SIGNAL_QUEUE_STATE_UPDATE = "queue_state_update"
UPDATE_STATE_UPDATE_OUTCOME = "state_update_outcome"


def thread_workflow_id(thread_id: str) -> str:
    """The id of the ThreadWorkflow that orders a thread's runs."""
    return f"{THREAD_WORKFLOW_PREFIX}{thread_id}"


def run_workflow_id(run_id: str) -> str:
    """The id of a run's RunWorkflow: the run id itself, so the Temporal UI
    finds a run by the id clients know."""
    return run_id


# --- Activity names -----------------------------------------------------------
# The super-step activity has no fixed name: each one is named after the nodes
# it runs (`step_activity_name`), and the worker registers it as the dynamic
# activity.

ACTIVITY_PREPARE_RUN = "steadygraph.prepare_run"
ACTIVITY_FINISH_RUN = "steadygraph.finish_run"
ACTIVITY_DROP_QUEUED_RUN = "steadygraph.drop_queued_run"
ACTIVITY_DELETE_THREAD = "steadygraph.delete_thread"
ACTIVITY_UPDATE_STATE = "steadygraph.update_state"
ACTIVITY_DELIVER_WEBHOOK = "steadygraph.deliver_webhook"
ACTIVITY_SWEEP_THREADS = "steadygraph.sweep_expired_threads"
ACTIVITY_FIRE_CRON = "steadygraph.fire_cron"
ACTIVITY_DIRECT_RUNS = "steadygraph.direct_runs"
ACTIVITY_CANCEL_DIRECT_RUN = "steadygraph.cancel_direct_run"

# What a step that runs no node (it only resumes the thread) is called.
RESUME_STEP = "resume"

# workflow.patched ids: RunWorkflow executions from this change on let the
# run's last step record its end (StepInput.stops); histories without the
# marker replay the earlier way, with a `finish_run` activity. Runs started
# since say so in their input instead (RunInput.ends_in_last_step).
PATCH_END_IN_LAST_STEP = "end-run-in-last-step"


def step_activity_name(nodes: list[str]) -> str:
    """The name of the activity that runs one super-step of these nodes, so the
    Temporal UI reads "agent", "tools", "agent"."""
    unique = list(dict.fromkeys(nodes))
    return ", ".join(unique) if unique else RESUME_STEP


# --- Error types ----------------------------------------------------------------

# Graph errors a retry cannot fix: the same input fails the same way. The
# activities raise them as non-retryable and the workflows' retry policies list
# them, so either side alone stops the retries.
NON_RETRYABLE_ERRORS = (
    "GraphRecursionError",
    "InvalidUpdateError",
    "EmptyInputError",
    "GraphLoadError",
)
# A run refused under multitask_strategy="reject" (HTTP 409): the API decides
# from the database; ThreadWorkflow's update `submit` of older histories did.
THREAD_BUSY = "ThreadBusy"
BUSY_MESSAGE = (
    "Thread is already running a task. Wait for it to finish or choose a different "
    "multitask strategy."
)
# The outcome of a state update the thread's workflow does not know: it was
# never queued there, or the workflow has continued as new since applying it.
UNKNOWN_STATE_UPDATE = "UnknownStateUpdate"
# The webhook URL breaks the project's policy: delivering again cannot help.
WEBHOOK_REJECTED = "WebhookRejected"
# A cron firing that could not create its run, for a reason with no type of its own.
CRON_FIRING_FAILED = "CronFiringFailed"
# A step run as a local activity stopped itself because a cancel was asked of
# its run (read from the database): the workflow waits for the cancel signal,
# which it can only see once this workflow task has ended.
STEP_CANCEL_REQUESTED = "StepCancelRequested"

# --- Search attributes ------------------------------------------------------------
# Every run carries them, so the Temporal UI and `temporal workflow list
# --query` filter runs by thread, assistant and graph. ("RunId" is Temporal's
# own name for an execution, hence the prefix.)

RUN_ID_ATTRIBUTE = SearchAttributeKey.for_keyword("LangGraphRunId")
THREAD_ID_ATTRIBUTE = SearchAttributeKey.for_keyword("LangGraphThreadId")
ASSISTANT_ID_ATTRIBUTE = SearchAttributeKey.for_keyword("LangGraphAssistantId")
GRAPH_ID_ATTRIBUTE = SearchAttributeKey.for_keyword("LangGraphGraphId")
SEARCH_ATTRIBUTES = (
    RUN_ID_ATTRIBUTE,
    THREAD_ID_ATTRIBUTE,
    ASSISTANT_ID_ATTRIBUTE,
    GRAPH_ID_ATTRIBUTE,
)

# --- Payloads: runs -----------------------------------------------------------------


@dataclass(frozen=True)
class StepPolicy:
    """Timeouts and retries of each super-step activity. Settings build it
    (environment variables named in settings.py); a run carries the one in force
    when it was created."""

    max_attempts: int = 3
    initial_interval_s: float = 1.0
    backoff: float = 2.0
    max_interval_s: float = 30.0
    timeout_s: float = 3600.0
    heartbeat_timeout_s: float = 10.0
    # Run each super-step as a local activity: executed by the worker that runs
    # the workflow, its result recorded with the workflow task, so a step costs
    # no task-queue round trip and consecutive steps share one history write.
    # The price: no heartbeats (a dead worker is noticed by the workflow task
    # timeout, ~10 s), and a step longer than that costs a workflow-task
    # heartbeat every ~8 s; a cancel reaches the step through the run's row (see
    # activities.run_activities._stopped_on_request). Settings make it the
    # default (DEFAULT_STEP_POLICY); False here is what a run's input meant
    # before the field existed, so recorded histories replay as they ran.
    local: bool = False


# What a run gets unless the environment or langgraph.json say otherwise: local
# steps, because most steps are short; long nodes opt out with `"local": false`.
DEFAULT_STEP_POLICY = StepPolicy(local=True)


def step_policy_of(
    nodes: list[str], default: StepPolicy, per_node: dict[str, StepPolicy]
) -> StepPolicy:
    """The policy of one super-step that runs `nodes` (in parallel, in one
    activity): long enough for the slowest node, retried no more than the
    node that allows the fewest attempts (a node that must not run twice
    keeps its promise), waiting as long between attempts as the most patient."""
    policies = [per_node.get(node, default) for node in nodes] or [default]
    if len(policies) == 1:
        return policies[0]
    return StepPolicy(
        max_attempts=min(p.max_attempts for p in policies),
        initial_interval_s=max(p.initial_interval_s for p in policies),
        backoff=max(p.backoff for p in policies),
        max_interval_s=max(p.max_interval_s for p in policies),
        timeout_s=max(p.timeout_s for p in policies),
        heartbeat_timeout_s=max(p.heartbeat_timeout_s for p in policies),
        # Local only if every node is: one long node needs the step to heartbeat.
        local=all(p.local for p in policies),
    )


@dataclass(frozen=True)
class RunInput:
    """Input of RunWorkflow. Policies are fixed when the run is created (from
    the settings and langgraph.json then in force), so a deploy mid-run does
    not change them."""

    run_id: str
    thread_id: str
    assistant_id: str
    graph_id: str
    step: StepPolicy = field(default_factory=StepPolicy)
    # Nodes of this graph with a policy of their own (langgraph.json).
    node_steps: dict[str, StepPolicy] = field(default_factory=dict)
    # The longest the run may take from its start; None: no limit.
    run_timeout_s: float | None = None
    # When the run must end (seconds since the epoch, workflow time): set by
    # the workflow at its first start and carried when it continues as new.
    deadline_s: float | None = None
    webhook: bool = False  # deliver the run's webhook once it ends
    temporary: bool = False  # a stateless run: delete its thread once it ends
    # The names of the run's metadata (not the values, which may be large or
    # private), shown to operators in the run workflow's memo.
    metadata_keys: list[str] = field(default_factory=list)
    # Where the run stands when its workflow continued as new; None on the
    # first execution of the chain.
    progress: RunProgress | None = None
    # Super-steps one execution runs before it continues as new (0: the
    # workflow's default), so a long run stays far below Temporal's history limits.
    steps_per_execution: int = 0
    # Started by the API itself, not by its thread's ThreadWorkflow (the
    # thread had nothing else to do): its end is reported to that workflow.
    direct: bool = False
    # The run's last step records its end (StepInput.stops). Said by the
    # input, not by workflow.patched, for runs the API starts from now on: a
    # patch's first use also upserts the TemporalChangeVersion search
    # attribute, one more history event and visibility write per run.
    # Inputs without it replay as before (patched, or finish_run).
    ends_in_last_step: bool = False
    # The nodes the API expects the run's first super-step to run (its graph's
    # published entry, for a run that applies new input). With them the run is
    # prepared in that step's activity, one activity fewer; the step checks
    # the guess and, where it was wrong, only prepares. None: `prepare_run`
    # is an activity of its own (as in every input before this field).
    first_nodes: list[str] | None = None


@dataclass(frozen=True)
class RunProgress:
    """What RunWorkflow carries into the next execution of its chain when it
    continues as new: the plan `prepare_run` made and how far the run got."""

    plan: RunPlan
    next: list[str]
    checkpoint_id: str | None
    steps_done: int
    pending_command: bool = False
    cancel_action: str | None = None  # a `cancel` signal that arrived during the switch
    released: bool = False  # a `release` signal that arrived before the switch


# How a cancel leaves a run: "interrupt" keeps its progress, "rollback" erases it.
CANCEL_ACTIONS = ("interrupt", "rollback")


@dataclass(frozen=True)
class RunRef:
    """Input of `prepare_run` and `delete_thread`."""

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
    # Not active because it ran and ended already, with this status (its
    # workflow ran again from the start after a worker died): the run is over
    # as recorded, not skipped (its webhook and clean-up still follow).
    ended_as: str | None = None


@dataclass(frozen=True)
class RunStops:
    """Where a run ends after a step, for a step that may be its last (see
    `StepInput.stops`): its interrupt_before/after nodes (["*"] for all)."""

    interrupt_before: list[str] = field(default_factory=list)
    interrupt_after: list[str] = field(default_factory=list)
    direct: bool = False  # the run was started without its thread's workflow (RunEnd.direct)

    @classmethod
    def of(cls, plan: RunPlan, *, direct: bool) -> RunStops:
        """Where a prepared run stops: its plan's interrupt_before/after."""
        return cls(plan.interrupt_before, plan.interrupt_after, direct)


def matches_nodes(nodes: list[str], selected: list[str]) -> bool:
    return "*" in selected or any(node in selected for node in nodes)


def run_ends_after(result: StepResult, stops: RunStops) -> bool:
    """Whether a run ends, successfully, with the step that gave `result`:
    a node interrupted, a node it stops after ran, nothing is left to run, or
    what is left starts with a node it stops before: where RunWorkflow's loop
    stops. The step activity decides with this; the workflow follows its
    `run_ended`."""
    return (
        result.interrupted
        or matches_nodes(result.ran, stops.interrupt_after)
        or not result.next
        or matches_nodes(result.next, stops.interrupt_before)
    )


def run_starts_with(plan: RunPlan, nodes: list[str]) -> bool:
    """Whether a prepared run's first step runs exactly `nodes`: a step that
    prepared the run (StepInput.prepare) goes on to run them only then."""
    return (
        plan.active
        and not plan.resuming
        and not plan.has_command
        and not plan.interrupted
        and set(plan.next) == set(nodes)
        and not matches_nodes(plan.next, plan.interrupt_before)
    )


@dataclass(frozen=True)
class StepInput:
    """Input of a super-step activity."""

    run_id: str
    thread_id: str
    graph_id: str
    from_checkpoint_id: str | None
    nodes: list[str]
    with_command: bool = False
    # LangGraph re-emits the current values when a stopped graph resumes; only
    # the first step of a run that applied no new input shows that to clients.
    emit_initial_values: bool = False
    # The run's super-steps before this one (across continue-as-new): each
    # activity is one astream call, so LangGraph alone would count one step
    # against the run's recursion_limit; the activity checks the run's count.
    step_number: int = 0
    # Set (RunWorkflow, from PATCH_END_IN_LAST_STEP on): when the run ends with
    # this step (`run_ends_after`), the step records the run's success itself,
    # sparing the run a `finish_run` activity.
    stops: RunStops | None = None
    # The run's first step, which prepares the run first (RunInput.first_nodes):
    # it runs `nodes` only if that is where the prepared run starts.
    prepare: bool = False


@dataclass(frozen=True)
class StepResult:
    checkpoint_id: str | None
    next: list[str]
    ran: list[str]
    interrupted: bool  # a node called interrupt(): the run stops, the thread waits
    run_ended: bool = False  # the step recorded the run's success (StepInput.stops)
    # Of a step that prepared the run (StepInput.prepare): the plan, and
    # whether it went on to run the step; if not, the run starts from the plan.
    plan: RunPlan | None = None
    stepped: bool = True


@dataclass(frozen=True)
class RunEnd:
    """Result of RunWorkflow and input of `finish_run`."""

    run_id: str
    # success | error | interrupted | rollback (the run is erased); the
    # workflow alone also knows "skipped" (the run was gone before it started).
    status: str
    error: dict[str, str] | None = None
    thread_id: str = ""
    graph_id: str = ""
    direct: bool = False  # the run was started without its thread's workflow
    recorded: bool = False  # already recorded (by its last step): no `finish_run`


@dataclass(frozen=True)
class WebhookInput:
    """Input of `deliver_webhook`, once the run has ended."""

    run_id: str
    thread_id: str
    # Empty: the URL stored with the run. Webhook URLs often carry a token, and
    # this keeps it out of Temporal's history.
    url: str = ""


# --- Payloads: threads ------------------------------------------------------------


@dataclass(frozen=True)
class RunRequest:
    """A run handed to its thread's ThreadWorkflow (signal `submit_run`, with
    start; the update `submit` in histories recorded before it)."""

    run: RunInput
    multitask_strategy: str = "enqueue"  # reject | enqueue | interrupt | rollback
    after_seconds: float = 0.0


@dataclass(frozen=True)
class ThreadInput:
    """Input of ThreadWorkflow."""

    thread_id: str
    # Runs still waiting when the workflow continued as new.
    queue: list[RunRequest] = field(default_factory=list)


@dataclass(frozen=True)
class CancelRequest:
    """Update `cancel_run` of ThreadWorkflow, and input of `drop_queued_run`."""

    run_id: str
    action: str = "interrupt"  # one of CANCEL_ACTIONS


@dataclass(frozen=True)
class CancelOutcome:
    found: bool  # False: the run is not waiting or running on this thread


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


@dataclass(frozen=True)
class QueuedStateUpdate:
    """A state update signalled to its thread's workflow, under an id the API
    then asks its outcome by."""

    update_id: str
    update: StateUpdate


# --- Payloads: crons ------------------------------------------------------------------


@dataclass(frozen=True)
class CronFiring:
    """Input of CronWorkflow and of `fire_cron`."""

    cron_id: str


@dataclass(frozen=True)
class CronFired:
    """The run a firing created."""

    run_id: str
    thread_id: str


def run_memo(run: RunInput) -> dict[str, Any]:
    """What an operator reads on a run's workflow in the Temporal UI and CLI
    (`temporal workflow describe`): small, and never the run's input."""
    return {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": run.assistant_id,
        "graph_id": run.graph_id,
        "metadata_keys": run.metadata_keys,
    }


def run_search_attributes(run: RunInput) -> TypedSearchAttributes:
    """What a run's workflow is found by in the Temporal UI and CLI."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(RUN_ID_ATTRIBUTE, run.run_id),
            SearchAttributePair(THREAD_ID_ATTRIBUTE, run.thread_id),
            SearchAttributePair(ASSISTANT_ID_ATTRIBUTE, run.assistant_id),
            SearchAttributePair(GRAPH_ID_ATTRIBUTE, run.graph_id),
        ]
    )


@dataclass(frozen=True)
class DirectRun:
    """A run of the thread started without its ThreadWorkflow and not ended
    (result of `direct_runs`)."""

    run_id: str
    status: str  # pending | running
