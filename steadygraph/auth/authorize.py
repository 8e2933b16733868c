"""`authorize`: the one call a service makes before it acts on a resource.

It runs the project's most specific handler for (resource, action), as
LangGraph Server picks it: `@auth.on.<resource>.<action>`, then
`@auth.on.<resource>`, then `@auth.on(actions=...)`, then `@auth.on`. The
handler may edit `value` in place (the service reads the edited value back,
e.g. the metadata a create stamps), return a filter that the service applies
to everything it reads, counts or changes, accept (None/True), refuse
(False: 403), or raise `Auth.exceptions.HTTPException` (its status).

Objects a filter hides are answered 404, as if they did not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from langgraph_sdk import Auth

from steadygraph.auth.context import current_caller
from steadygraph.auth.filters import Filters, check_filters
from steadygraph.errors import ServiceError

log = logging.getLogger(__name__)

Resource = Literal["threads", "assistants", "crons", "store"]


class AuthRejected(ServiceError):
    """A request an auth handler refused, with the status it chose."""

    def __init__(
        self, status_code: int, detail: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.headers = dict(headers) if headers else None


def _handler(auth: Auth, resource: str, action: str) -> Any:
    handlers = auth._handlers
    for key in ((resource, action), (resource, "*"), ("*", action), ("*", "*")):
        if key in handlers:
            return handlers[key][-1]
    return auth._global_handlers[-1] if auth._global_handlers else None


async def authorize(resource: Resource, action: str, value: dict[str, Any]) -> Filters | None:
    """Ask the project's handler; the filter to apply, or None for "no filter".

    Without custom auth (or in a cron firing on a worker) nothing is asked.
    """
    caller = current_caller()
    if caller is None or caller.handlers is None:
        return None
    handler = _handler(caller.handlers, resource, action)
    if handler is None:
        return None
    ctx = Auth.types.AuthContext(
        permissions=caller.permissions,
        user=caller.user,
        resource=resource,
        action=action,  # type: ignore[arg-type]
    )
    try:
        result = await handler(ctx=ctx, value=value)
    except Auth.exceptions.HTTPException as exc:
        raise AuthRejected(exc.status_code, str(exc.detail), exc.headers) from exc
    except AssertionError as exc:
        raise AuthRejected(403, str(exc) or "Forbidden") from exc
    if result is None or result is True:
        return None
    if result is False:
        raise AuthRejected(403, "Forbidden")
    if not isinstance(result, dict):
        log.error("auth handler for %s.%s returned %r", resource, action, result)
        raise AuthRejected(
            500,
            "Auth handler returned an invalid result: expected a filter dict, None or a "
            f"boolean, got {type(result).__name__}",
        )
    check_filters(result)
    return result or None
