"""Schemathesis hooks for tests/e2e/test_fuzz.py (loaded through SCHEMATHESIS_HOOKS).

Two adjustments keep the fuzz run about bad input rather than about legitimately
long waits or legitimately destroyed data; everything else is sent as generated.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import schemathesis

from steadygraph.runs.request import MAX_DELAY_SECONDS

# A run may be delayed by up to a year, and `/runs/wait`, `/runs/stream`, join
# and a state update on its thread then rightly wait as long. The fuzzer finds
# thread ids in responses and mixes them across operations, so one such run
# would make every later request on its thread slow. Accepted delays beyond a
# second are shortened; out-of-range ones are still sent (and must be 422).
MAX_FUZZ_DELAY_S = 1

# Ids of the records the test reads back after fuzzing. A fuzzer that finds them
# in a search may rightly delete or edit them; such requests are sent to an
# unknown id instead, so that only bad input could have changed them.
PROTECTED = frozenset(filter(None, os.environ.get("STEADYGRAPH_FUZZ_PROTECTED", "").split(",")))
STAND_IN = "9f1b5d6e-0c1a-4c59-9a59-6f0e4f0b7c11"


# A thread's own streams stay open for as long as the client listens (a run
# may start on the thread at any time; the SSE pings every 15 s), so a valid
# request to one never ends and would stall the fuzzer, whose timeout is per
# read. A well-formed thread id is sent as an unknown one (404 once the rest of
# the request passed validation); malformed ids and every other part of the
# request are sent as generated. tests/e2e/test_thread_streams.py covers these
# streams with valid input. The unknown id is a fresh one per request, never
# STAND_IN: the shielding below may send STAND_IN in a body that creates a
# thread under that id, whose stream would then be open-ended again.
OPEN_ENDED_STREAMS = frozenset(
    {("GET", "/threads/{thread_id}/stream"), ("POST", "/threads/{thread_id}/stream/events")}
)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _bounded_stream(case: Any) -> None:
    if (case.method.upper(), case.operation.path) not in OPEN_ENDED_STREAMS:
        return
    if case.path_parameters and _is_uuid(case.path_parameters.get("thread_id")):
        case.path_parameters = {**case.path_parameters, "thread_id": str(uuid.uuid4())}


def _shortened_delay(body: Any) -> None:
    for item in body if isinstance(body, list) else [body]:
        delay = item.get("after_seconds") if isinstance(item, dict) else None
        if type(delay) in (int, float) and MAX_FUZZ_DELAY_S < delay <= MAX_DELAY_SECONDS:
            item["after_seconds"] = MAX_FUZZ_DELAY_S


def _shielded(value: Any) -> Any:
    if isinstance(value, str):
        return STAND_IN if value in PROTECTED else value
    if isinstance(value, dict):
        return {key: _shielded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shielded(item) for item in value]
    return value


# Every request is logged when sent and when answered, so a request that never
# ends (the fuzzer's timeout is per read, and SSE pings defeat it) is named.
CALL_LOG = os.environ.get("STEADYGRAPH_FUZZ_CALL_LOG")


def _log_call(case: Any, what: str) -> None:
    if CALL_LOG:
        with open(CALL_LOG, "a") as log:
            request = f"{case.method} {case.formatted_path} {case.query} {repr(case.body)[:300]}"
            log.write(f"{id(case)} {what} {request}\n")


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    _log_call(case, "end")


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    _shortened_delay(case.body)
    _bounded_stream(case)
    if case.method.upper() != "GET":
        case.path_parameters = _shielded(case.path_parameters)
        case.query = _shielded(case.query)
        case.body = _shielded(case.body)
    _log_call(case, "start")
