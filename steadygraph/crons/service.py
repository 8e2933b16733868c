"""Crons: runs created on a schedule, kept as Temporal Schedules.

The Schedule *is* the cron record, so crons show (and can be paused,
triggered or deleted) on the Temporal UI's Schedules page, and no table of
ours holds them:

* schedule id = `cron_id`;
* spec = the cron expression, `timezone` and `end_time`; state.paused = not `enabled`;
* the schedule's memo (`langgraph_cron`) holds what never changes: ids,
  `created_at`, and the task queue of the deployment that owns the cron;
* the action's memo (`langgraph_cron_run`) holds what PATCH may change: the
  cron text, `payload`, `metadata`, `on_run_completed`, `updated_at`.
  (Temporal refuses to update a schedule's own memo, but replaces the action
  on every update; each firing's workflow carries that memo too, so the UI
  shows which payload a firing used.)
* search attributes LangGraphThreadId / LangGraphAssistantId / LangGraphGraphId
  let search, count and the UI filter schedules by thread and assistant.

Each firing starts CronWorkflow, whose activity calls `fire_cron` below: the
same `submit_run` as POST /threads/{id}/runs (thread crons) or POST /runs
(stateless crons), so the thread's multitask strategy decides what happens
when the previous run is still going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleDescription,
    ScheduleListActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from steadygraph.assistants.lookup import resolve_assistant
from steadygraph.auth import AuthUser, Caller, acting_as, authorize, current_caller, visible
from steadygraph.crons.request import CronCount, CronCreate, CronPatch, CronSearch
from steadygraph.errors import Invalid, NotFound, ServiceError, Unavailable
from steadygraph.ids import new_id, parse_uuid, system_assistant_id
from steadygraph.runs.request import RunCreate
from steadygraph.runs.submission import submit_run
from steadygraph.services import Services
from steadygraph.storage.json_filter import contains
from steadygraph.temporal.contract import (
    ASSISTANT_ID_ATTRIBUTE,
    CRON_WORKFLOW,
    GRAPH_ID_ATTRIBUTE,
    THREAD_ID_ATTRIBUTE,
    CronFired,
    CronFiring,
)
from steadygraph.workflows import CronWorkflow

log = logging.getLogger(__name__)

IDENTITY_MEMO = "langgraph_cron"
SETTINGS_MEMO = "langgraph_cron_run"

# Every firing creates its run independently, as LangGraph Server's scheduler
# does: CronWorkflow ends once its run is accepted, so two firings only
# overlap when a run cannot be created at once, and what happens to a run that
# meets a busy thread is the thread's multitask strategy's business (enqueue,
# reject, ...), not the schedule's. BUFFER_ONE/SKIP would instead drop or
# delay ticks behind a slow firing, and hide them from the thread's strategy.
_OVERLAP = ScheduleOverlapPolicy.ALLOW_ALL
# After a Temporal outage, ticks missed by more than this are skipped rather
# than fired in a burst.
_CATCHUP_WINDOW = timedelta(minutes=1)
# A firing that no worker picks up within this time is given up (the next
# tick starts a new one), so firings do not pile up while no worker runs.
_FIRING_TIMEOUT = timedelta(minutes=10)
_DESCRIBE_CONCURRENCY = 16

# ---- cron expressions ------------------------------------------------------------

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {d: i for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int] | None = None


# Day of week accepts 7 for Sunday, as cron does; it is folded onto 0.
_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 7, _DAYS),
)


def _invalid_schedule(schedule: str, reason: str) -> Invalid:
    return Invalid(
        f"Invalid cron schedule: '{schedule}'. Reason: {reason}. Use the standard cron format "
        "(minute hour day_of_month month day_of_week), e.g. '*/5 * * * *' for every 5 minutes."
    )


def _value(token: str, spec: _Field) -> int:
    if spec.names and token.upper() in spec.names:
        return spec.names[token.upper()]
    if not token.isdigit():
        raise ValueError(f"{spec.name} value '{token}' is not a number")
    value = int(token)
    if not spec.low <= value <= spec.high:
        raise ValueError(f"{spec.name} value {value} is outside {spec.low}-{spec.high}")
    return value


def _expand(text: str, spec: _Field) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"{spec.name} step '{step_text}' must be a positive number")
            step = int(step_text)
        if base in ("*", "?"):
            sequence = list(range(spec.low, spec.high + 1))
        elif "-" in base:
            first, _, last = base.partition("-")
            low, high = _value(first, spec), _value(last, spec)
            if low <= high:
                sequence = list(range(low, high + 1))
            elif spec.name == "day of week":
                # "FRI-MON" wraps over the weekend, as cron reads it.
                sequence = [*range(low % 7, 7), *range(0, high + 1)]
            else:
                raise ValueError(f"{spec.name} range '{base}' ends before it starts")
        else:
            low = _value(base, spec)
            # "5/15" is "from 5, every 15", as cron reads it.
            sequence = list(range(low, spec.high + 1)) if slash else [low]
        values.update(sequence[::step])
    if spec.name == "day of week" and 7 in values:
        values = (values - {7}) | {0}
    return values


def _field_text(values: set[int], spec: _Field) -> str:
    every = set(range(spec.low, 7 if spec.name == "day of week" else spec.high + 1))
    return "*" if values >= every else ",".join(str(v) for v in sorted(values))


def cron_expressions(schedule: str) -> list[str]:
    """Validate a 5-field cron expression; the Temporal cron strings that fire
    at exactly its times.

    Cron (and LangGraph Server's croniter) fires when the day of month *or*
    the day of week matches if neither field is "*", whereas Temporal
    requires both: such a schedule becomes two Temporal expressions, whose
    union is the cron's times. Names, "?", wrapping weekday ranges and steps
    are expanded here, so Temporal and cron agree on every expression we
    accept. (croniter's extensions - L, W, #, a sixth field for seconds - are
    refused rather than approximated.)
    """
    text = " ".join(schedule.split())
    text = _MACROS.get(text.lower(), text)
    parts = text.split(" ") if text else []
    if len(parts) != 5:
        raise _invalid_schedule(schedule, f"expected 5 fields, got {len(parts)}")
    try:
        minute, hour, dom, month, dow = (
            _field_text(_expand(part, spec), spec)
            for part, spec in zip(parts, _FIELDS, strict=True)
        )
    except ValueError as exc:
        raise _invalid_schedule(schedule, str(exc)) from None
    if parts[2] not in ("*", "?") and parts[4] not in ("*", "?"):
        return [f"{minute} {hour} {dom} {month} *", f"{minute} {hour} * {month} {dow}"]
    return [f"{minute} {hour} {dom} {month} {dow}"]


def check_timezone(timezone: str | None) -> str | None:
    if timezone is None:
        return None
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        raise Invalid(
            f"Invalid timezone: '{timezone}'. Use an IANA time zone name (e.g. 'America/New_York')."
        ) from None
    return timezone


def _utc_iso(value: datetime) -> str:
    """A naive end_time is UTC, as the cron's schedule is without a timezone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _now() -> str:
    return datetime.now(UTC).isoformat()


# ---- the Schedule ------------------------------------------------------------------


def _schedule(
    services: Services, identity: dict[str, Any], settings: dict[str, Any], *, enabled: bool
) -> Schedule:
    cron_id = identity["cron_id"]
    end_time = settings.get("end_time")
    where = f"thread {identity['thread_id']}" if identity["thread_id"] else "a new thread"
    return Schedule(
        action=ScheduleActionStartWorkflow(
            CronWorkflow.run,
            CronFiring(cron_id),
            # Temporal appends each firing's time to this id.
            id=f"cron-{cron_id}",
            task_queue=services.settings.task_queue,
            execution_timeout=_FIRING_TIMEOUT,
            memo={SETTINGS_MEMO: settings},
            static_summary=f"cron {cron_id}: {identity['graph_id']} run on {where}",
        ),
        spec=ScheduleSpec(
            cron_expressions=cron_expressions(settings["schedule"]),
            time_zone_name=settings.get("timezone"),
            end_at=datetime.fromisoformat(end_time) if end_time else None,
        ),
        policy=SchedulePolicy(overlap=_OVERLAP, catchup_window=_CATCHUP_WINDOW),
        state=ScheduleState(paused=not enabled),
    )


def _search_attributes(identity: dict[str, Any]) -> TypedSearchAttributes:
    pairs: list[SearchAttributePair[str]] = [
        SearchAttributePair(ASSISTANT_ID_ATTRIBUTE, identity["assistant_id"]),
        SearchAttributePair(GRAPH_ID_ATTRIBUTE, identity["graph_id"]),
    ]
    if identity["thread_id"]:
        pairs.append(SearchAttributePair(THREAD_ID_ATTRIBUTE, identity["thread_id"]))
    return TypedSearchAttributes(pairs)


def _spec_error(exc: RPCError) -> bool:
    return exc.status == RPCStatusCode.INVALID_ARGUMENT and "schedule spec" in exc.message.lower()


def _unavailable(exc: RPCError) -> Unavailable:
    return Unavailable(f"Temporal is unavailable: {exc.message}")


def _not_found(cron_id: str) -> NotFound:
    return NotFound(f"Cron '{cron_id}' not found")


def _record(
    identity: dict[str, Any],
    settings: dict[str, Any],
    *,
    paused: bool,
    next_times: Iterable[datetime],
) -> dict[str, Any]:
    """The cron as LangGraph Server returns it (SHAPES.md's Cron, same key order)."""
    next_run = next(iter(next_times), None)
    return {
        "cron_id": identity["cron_id"],
        "assistant_id": identity["assistant_id"],
        "thread_id": identity["thread_id"],
        "user_id": identity["user_id"],
        "end_time": settings["end_time"],
        "schedule": settings["schedule"],
        "timezone": settings["timezone"],
        "payload": settings["payload"],
        "next_run_date": next_run.astimezone(UTC).isoformat() if next_run else None,
        "metadata": settings["metadata"],
        "on_run_completed": settings["on_run_completed"],
        "enabled": not paused,
        "created_at": identity["created_at"],
        "updated_at": settings["updated_at"],
    }


def _ours(services: Services, identity: Any) -> bool:
    """A cron of this deployment: several may share a namespace, one task queue each."""
    return isinstance(identity, dict) and identity.get("task_queue") == services.settings.task_queue


async def _parts(
    services: Services, description: ScheduleDescription
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(identity, settings) of a described schedule, or None if it is not our cron."""
    identity = await description.memo_value(IDENTITY_MEMO, None)
    action = description.schedule.action
    if not _ours(services, identity) or not isinstance(action, ScheduleActionStartWorkflow):
        return None
    raw = (action.memo or {}).get(SETTINGS_MEMO)
    if raw is None or action.workflow != CRON_WORKFLOW:
        return None
    # Read back from Temporal, the action's memo is still encoded.
    settings = raw if isinstance(raw, dict) else (await description.data_converter.decode([raw]))[0]
    return identity, settings


async def _describe(services: Services, cron_id: str) -> ScheduleDescription | None:
    try:
        return await services.temporal.get_schedule_handle(cron_id).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise _unavailable(exc) from exc


async def _read(services: Services, cron_id: str) -> dict[str, Any] | None:
    description = await _describe(services, cron_id)
    if description is None:
        return None
    parts = await _parts(services, description)
    if parts is None:
        return None
    identity, settings = parts
    return _record(
        identity,
        settings,
        paused=description.schedule.state.paused,
        next_times=description.info.next_action_times,
    )


# ---- create / get / update / delete --------------------------------------------------


async def create_cron(
    services: Services, thread_id: str | None, body: CronCreate
) -> dict[str, Any]:
    """A cron on `thread_id`, or (None) a stateless cron: a new thread per firing."""
    cron_expressions(body.schedule)  # the cheap checks first, before any lookup
    timezone = check_timezone(body.timezone)
    assistant = await resolve_assistant(services, body.assistant_id)
    if body.webhook:
        services.check_webhook(body.webhook)
    cron_id = new_id()
    value: dict[str, Any] = {
        "cron_id": cron_id,
        "thread_id": thread_id,
        "payload": body.model_dump(mode="json", exclude_unset=True),
        "schedule": body.schedule,
        "end_time": body.end_time,
        "metadata": dict(body.metadata or {}),
        "user_id": _caller_identity(),
    }
    # The handler may stamp the cron's metadata (e.g. an owner) or refuse.
    await authorize("crons", "create", value)
    if thread_id is not None:
        # A cron runs on its thread: the thread must be one the caller may read.
        thread_filters = await authorize("threads", "read", {"thread_id": thread_id})
        thread = await services.storage.get_thread(thread_id)
        if thread is None or not visible(thread["metadata"], thread_filters):
            raise NotFound(f"Thread with ID {thread_id} not found")
    # The payload is the request as sent (LangGraph Server keeps it whole),
    # with the assistant resolved and the cron id in the run's configurable.
    payload = body.model_dump(mode="json", exclude_unset=True)
    payload["assistant_id"] = assistant["assistant_id"]
    config = payload.get("config") or {}
    config["configurable"] = {**(config.get("configurable") or {}), "cron_id": cron_id}
    payload["config"] = config
    _run_request(payload, {})  # a payload no firing could submit is refused now
    now = _now()
    identity = {
        "cron_id": cron_id,
        "assistant_id": assistant["assistant_id"],
        "graph_id": assistant["graph_id"],
        "thread_id": thread_id,
        "user_id": _caller_identity() or "",
        "created_at": now,
        "task_queue": services.settings.task_queue,
    }
    caller = current_caller()
    if caller is not None:
        # Fixed with the cron (the schedule's own memo cannot be changed):
        # every firing runs as the user who created it.
        identity[CREATOR] = caller.user.dict()
    settings = {
        "schedule": body.schedule,
        "timezone": timezone,
        "end_time": _utc_iso(body.end_time) if body.end_time else None,
        "payload": payload,
        "metadata": value.get("metadata") or {},
        "on_run_completed": None if thread_id else (body.on_run_completed or "delete"),
        "updated_at": now,
    }
    schedule = _schedule(services, identity, settings, enabled=body.enabled)
    handle = await _create_schedule(services, cron_id, schedule, identity)
    try:
        description = await handle.describe()
    except RPCError as exc:
        raise _unavailable(exc) from exc
    return _record(
        identity,
        settings,
        paused=description.schedule.state.paused,
        next_times=description.info.next_action_times,
    )


async def _create_schedule(
    services: Services, cron_id: str, schedule: Schedule, identity: dict[str, Any]
) -> Any:
    memo = {IDENTITY_MEMO: identity}
    try:
        return await services.temporal.create_schedule(
            cron_id, schedule, memo=memo, search_attributes=_search_attributes(identity)
        )
    except RPCError as exc:
        if _spec_error(exc):
            # Our own checks passed, Temporal's did not (e.g. a zone its
            # tz database lacks): still the client's schedule at fault.
            raise Invalid(f"Invalid cron schedule or timezone: {exc.message}") from exc
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise _unavailable(exc) from exc
        # A namespace without our search attributes (Temporal Cloud before they
        # are added): the cron still works, search filters the memo instead.
        log.warning("creating cron %s without search attributes: %s", cron_id, exc.message)
    try:
        return await services.temporal.create_schedule(cron_id, schedule, memo=memo)
    except RPCError as exc:
        if _spec_error(exc):
            raise Invalid(f"Invalid cron schedule or timezone: {exc.message}") from exc
        if exc.status == RPCStatusCode.INVALID_ARGUMENT:  # e.g. a payload over Temporal's limit
            raise Invalid(f"Temporal refused the cron: {exc.message}") from exc
        raise _unavailable(exc) from exc


async def get_cron(
    services: Services, cron_id: str, *, auth_action: str = "read", **auth_value: Any
) -> dict[str, Any]:
    """The cron, once the crons.<auth_action> handler allowed it; one its
    filter hides (on the cron's metadata) is as missing as an unknown id."""
    filters = await authorize("crons", auth_action, {"cron_id": cron_id, **auth_value})
    cron = await _read(services, cron_id)
    if cron is None or not visible(cron["metadata"], filters):
        raise _not_found(cron_id)
    return cron


def _caller_identity() -> str | None:
    caller = current_caller()
    return caller.user.identity if caller is not None else None


async def update_cron(services: Services, cron_id: str, patch: CronPatch) -> dict[str, Any]:
    changes = patch.model_dump(mode="json", exclude_unset=True)
    if not changes:
        raise ServiceError("Request body cannot be empty")
    if patch.schedule is not None:
        cron_expressions(patch.schedule)
    check_timezone(patch.timezone)
    if patch.webhook:
        services.check_webhook(patch.webhook)
    await get_cron(
        services,
        cron_id,
        auth_action="update",
        payload=changes,
        schedule=patch.schedule,
        metadata=patch.metadata,
    )

    async def updater(current: ScheduleUpdateInput) -> ScheduleUpdate:
        parts = await _parts(services, current.description)
        if parts is None:
            raise _not_found(cron_id)
        identity, settings = parts
        settings = dict(settings)
        if patch.schedule is not None:
            settings["schedule"] = patch.schedule
        if patch.timezone is not None:
            settings["timezone"] = patch.timezone
        if "end_time" in changes:
            settings["end_time"] = _utc_iso(patch.end_time) if patch.end_time else None
        if patch.on_run_completed is not None:
            settings["on_run_completed"] = patch.on_run_completed
        if patch.metadata is not None:
            settings["metadata"] = {**settings["metadata"], **patch.metadata}
        # The payload takes the patch's fields shallowly (as LangGraph Server
        # merges it), keeping its assistant and the cron id of its runs.
        payload = {**settings["payload"], **changes}
        payload["assistant_id"] = settings["payload"]["assistant_id"]
        config = dict(payload.get("config") or {})
        config["configurable"] = {**(config.get("configurable") or {}), "cron_id": cron_id}
        payload["config"] = config
        _run_request(payload, settings["metadata"])
        settings["payload"] = payload
        settings["updated_at"] = _now()
        enabled = not current.description.schedule.state.paused
        if patch.enabled is not None:
            enabled = patch.enabled
        return ScheduleUpdate(schedule=_schedule(services, identity, settings, enabled=enabled))

    try:
        await services.temporal.get_schedule_handle(cron_id).update(updater)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise _not_found(cron_id) from exc
        if _spec_error(exc):
            raise Invalid(f"Invalid cron schedule or timezone: {exc.message}") from exc
        raise _unavailable(exc) from exc
    return await get_cron(services, cron_id)


async def delete_cron(services: Services, cron_id: str) -> None:
    # 404 for an unknown id, another deployment's cron or one the handler hides.
    await get_cron(services, cron_id, auth_action="delete")
    try:
        await services.temporal.get_schedule_handle(cron_id).delete()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise _not_found(cron_id) from exc
        raise _unavailable(exc) from exc


async def delete_thread_crons(services: Services, thread_id: str) -> int:
    """Delete the crons of a thread (call when the thread is deleted, as
    LangGraph Server's crons go with their thread). Returns how many."""
    listed = await _listed(services, thread_id=thread_id, assistant_id=None)
    deleted = 0
    for entry in listed:
        try:
            await services.temporal.get_schedule_handle(entry.cron_id).delete()
            deleted += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise _unavailable(exc) from exc
    return deleted


# ---- search / count ------------------------------------------------------------------


@dataclass(frozen=True)
class _Listed:
    """What listing schedules tells about a cron without describing it."""

    identity: dict[str, Any]
    paused: bool
    next_run: datetime | None

    @property
    def cron_id(self) -> str:
        return self.identity["cron_id"]


def _assistant_filter(assistant_id: str | None, services: Services) -> str | None:
    if assistant_id is None:
        return None
    if assistant_id in services.project.graphs:
        return system_assistant_id(assistant_id)
    parsed = parse_uuid(assistant_id)
    if parsed is None:
        raise Invalid("Invalid assistant ID: must be a UUID")
    return parsed


def _thread_filter(thread_id: str | None) -> str | None:
    if thread_id is None:
        return None
    parsed = parse_uuid(thread_id)
    if parsed is None:
        raise Invalid("Invalid thread ID: must be a UUID")
    return parsed


async def _listed(
    services: Services, *, thread_id: str | None, assistant_id: str | None
) -> list[_Listed]:
    # Ids are canonical UUIDs here, so they are safe inside the query.
    clauses = [
        f"{key.name} = '{value}'"
        for key, value in ((THREAD_ID_ATTRIBUTE, thread_id), (ASSISTANT_ID_ATTRIBUTE, assistant_id))
        if value
    ]
    query = " AND ".join(clauses) or None
    try:
        entries = [e async for e in await services.temporal.list_schedules(query)]
    except RPCError as exc:
        if query is None or exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise _unavailable(exc) from exc
        # No such search attributes on this namespace: filter the memos instead.
        try:
            entries = [e async for e in await services.temporal.list_schedules()]
        except RPCError as again:
            raise _unavailable(again) from again
    found = []
    for entry in entries:
        if entry.schedule is None:
            continue
        action = entry.schedule.action
        if not isinstance(action, ScheduleListActionStartWorkflow):
            continue
        if action.workflow != CRON_WORKFLOW:
            continue
        identity = await entry.memo_value(IDENTITY_MEMO, None)
        if not _ours(services, identity):
            continue
        if thread_id and identity["thread_id"] != thread_id:
            continue
        if assistant_id and identity["assistant_id"] != assistant_id:
            continue
        times = entry.info.next_action_times if entry.info else []
        found.append(_Listed(identity, entry.schedule.state.paused, times[0] if times else None))
    return found


async def _read_all(services: Services, cron_ids: list[str]) -> list[dict[str, Any]]:
    """Full records, in order; a cron deleted since it was listed is left out."""
    limit = asyncio.Semaphore(_DESCRIBE_CONCURRENCY)

    async def one(cron_id: str) -> dict[str, Any] | None:
        async with limit:
            return await _read(services, cron_id)

    records = await asyncio.gather(*(one(cron_id) for cron_id in cron_ids))
    return [r for r in records if r is not None]


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _sort_key(value: Any, field: str) -> Any:
    if field in ("cron_id", "assistant_id", "thread_id"):
        return str(value or "").lower()
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else _EPOCH


async def search_crons(services: Services, query: CronSearch) -> tuple[list[dict[str, Any]], int]:
    """One page of crons and how many match in all."""
    thread_id = _thread_filter(query.thread_id)
    assistant_id = _assistant_filter(query.assistant_id, services)
    sort_by = query.sort_by or "created_at"
    descending = (query.sort_order or "desc") == "desc"
    filters = await authorize(
        "crons",
        "search",
        {
            "assistant_id": assistant_id,
            "thread_id": thread_id,
            "limit": query.limit,
            "offset": query.offset,
        },
    )
    listed = await _listed(services, thread_id=thread_id, assistant_id=assistant_id)
    if query.enabled is not None:
        listed = [c for c in listed if c.paused != query.enabled]

    if query.metadata or filters or sort_by in ("updated_at", "end_time"):
        # Only the full record has these: describe every candidate.
        records = await _read_all(services, [c.cron_id for c in listed])
        if query.metadata:
            records = [r for r in records if contains(r["metadata"], query.metadata)]
        records = [r for r in records if visible(r["metadata"], filters)]
        records.sort(key=lambda r: _sort_key(r[sort_by], sort_by), reverse=descending)
        total = len(records)
        page = records[query.offset : query.offset + query.limit]
    else:

        def key(c: _Listed) -> Any:
            if sort_by == "next_run_date":
                return c.next_run or _EPOCH
            return _sort_key(c.identity[sort_by], sort_by)

        listed.sort(key=key, reverse=descending)
        total = len(listed)
        chosen = listed[query.offset : query.offset + query.limit]
        page = await _read_all(services, [c.cron_id for c in chosen])
    if query.select:
        page = [{k: r[k] for k in query.select} for r in page]
    return page, total


async def count_crons(services: Services, query: CronCount) -> int:
    thread_id = _thread_filter(query.thread_id)
    assistant_id = _assistant_filter(query.assistant_id, services)
    # Counted as searched: what a search hides is not counted.
    filters = await authorize(
        "crons", "search", {"assistant_id": assistant_id, "thread_id": thread_id}
    )
    listed = await _listed(services, thread_id=thread_id, assistant_id=assistant_id)
    if not query.metadata and not filters:
        return len(listed)
    records = await _read_all(services, [c.cron_id for c in listed])
    return sum(
        1
        for r in records
        if contains(r["metadata"], query.metadata or {}) and visible(r["metadata"], filters)
    )


# ---- a firing ------------------------------------------------------------------------

# Key of the identity memo holding the user who created the cron (custom auth only).
CREATOR = "auth_user"


async def _creator(services: Services, cron_id: str) -> Caller | None:
    description = await _describe(services, cron_id)
    parts = await _parts(services, description) if description is not None else None
    user = parts[0].get(CREATOR) if parts is not None else None
    return Caller(user=AuthUser(user)) if isinstance(user, dict) else None


def _run_request(payload: dict[str, Any], cron_metadata: dict[str, Any]) -> RunCreate:
    """The run request of a firing: the payload, its metadata over the cron's."""
    body = {**payload, "metadata": {**cron_metadata, **(payload.get("metadata") or {})}}
    try:
        return RunCreate.model_validate(body)
    except ValidationError as exc:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise Invalid(f"Invalid cron payload: {detail}") from exc


async def fire_cron(services: Services, cron_id: str) -> CronFired:
    """Create the run of one firing, exactly as POST /threads/{id}/runs (a
    thread cron) or POST /runs (a stateless one) would. ServiceErrors (a
    deleted thread or assistant, a busy thread under "reject") are the
    firing's outcome; the caller records them."""
    cron = await get_cron(services, cron_id)
    body = _run_request(cron["payload"], cron["metadata"])
    thread_id = cron["thread_id"]
    # on_run_completed only concerns the thread a stateless cron makes.
    temporary = thread_id is None and cron["on_run_completed"] != "keep"
    # The run is its creator's (its graph sees that user); nothing is
    # authorized again here: the API authorized the cron when it was made.
    with acting_as(await _creator(services, cron_id)):
        run = await submit_run(services, thread_id, body, temporary=temporary)
    log.info("cron %s created run %s on thread %s", cron_id, run["run_id"], run["thread_id"])
    return CronFired(run_id=run["run_id"], thread_id=run["thread_id"])
